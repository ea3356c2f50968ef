"""The wall's Atom feeds (`/feed.atom` and each campaign's), written by feedgen.

feedgen builds the document with lxml, so a feed is well-formed XML by construction, whatever the text.
lxml refuses the characters XML forbids, and rows stored before `kudos.plaintext` held Kudos' inputs may
hold some: every text passes that rule again on its way in. The privacy rule is the wall's: an entry
names nobody, and quotes nothing, unless the recipient agreed to public sharing. A poll whose copy is
current is answered 304 before anything here runs (`kudos.web.conditional`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from werkzeug.wrappers import Response

from kudos import plaintext, wall
from kudos.web.context import current_config, db_session
from kudos.web.i18n import current_language, msg_text

ENTRIES = 50
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # the `updated` of a feed without entries yet


def response(title: str, self_url: str, alternate: str, campaign: str | None = None) -> Response:
    """The feed of the newest shout-outs (of one campaign, given its slug), as an HTTP response. The title
    is plain text (`msg_text`): lxml escapes what it writes."""
    config = current_config()
    shoutouts = wall.recent(db_session(), config, limit=ENTRIES, campaign=campaign)
    body = atom(shoutouts, title=title, self_url=self_url, alternate=alternate,
                permalink=lambda nomination_id: wall.permalink(config, nomination_id))
    return Response(body, content_type="application/atom+xml; charset=utf-8")


def atom(shoutouts: list[wall.ShoutOut], *, title: str, self_url: str, alternate: str,
         permalink: Callable[[int], str]) -> bytes:
    """An entry's id and link are the shout-out's permalink, the same in every language and on every feed."""
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(plaintext.line(title))
    feed.link(href=self_url, rel="self")
    feed.link(href=alternate, rel="alternate")
    feed.updated(_utc(shoutouts[0].delivered_at) if shoutouts else _NEVER)
    feed.author(name=plaintext.line(msg_text("kudos-tool-name")))
    feed.generator(plaintext.line(msg_text("kudos-tool-name")))  # rather than feedgen's own name and home page
    feed.language(current_language())
    for s in shoutouts:
        link = permalink(s.nomination_id)
        entry = feed.add_entry(order="append")
        entry.id(link)
        entry.updated(_utc(s.delivered_at))
        entry.link(href=link, rel="alternate")
        entry.category(term=s.campaign_slug, label=plaintext.line(s.campaign_name))
        if s.anonymous:
            entry.title(plaintext.line(msg_text("kudos-shoutout-anonymous-title", s.wiki_name)))
            entry.summary(plaintext.line(msg_text("kudos-feed-anonymous-summary", s.award_name, s.campaign_name)))
        else:
            entry.title(plaintext.line(msg_text("kudos-shoutout-title", s.recipient)))
            entry.summary(plaintext.clean(s.message or "").strip())
    body: bytes = feed.atom_str()
    return body


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)  # stored naive, in UTC
