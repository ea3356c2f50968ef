"""Nominating from anywhere: `/nominate?wiki=&user=&link=&campaign=` fills the form in.

Every value is checked as if it had been typed, before it reaches the form; one that cannot be used is
dropped and the page says which and why (a notice, never an error page). Nothing here asks a wiki: the
checks that need one run when the form is sent, as for anything typed.

- `campaign`: the slug of a campaign open for nominations.
- `wiki`: a wiki id from the configuration (`orwiki`) or the wiki's address (`or.wikipedia.org`, the mobile
  site's `or.m.wikipedia.org`, `https://or.wikipedia.org/`); without `campaign`, the wiki's community
  campaign (or its first open campaign) is chosen. A `wiki` that disagrees with `campaign` is dropped.
- `user` (also `recipient`): the person to thank.
- `link`: a page title, `Special:Diff/123`, or a page or diff address on that wiki.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kudos import plaintext
from kudos.campaigns import community_slug
from kudos.config import Config, Wiki
from kudos.errors import DomainError
from kudos.models import Campaign
from kudos.names import canonical_username
from kudos.nominations import LINK_MAX
from kudos.wikiapi import parse_link, possible_title

SHOWN = 60  # characters of a dropped value repeated in its notice


@dataclass(frozen=True)
class Notice:
    """A dropped value: `kind` names the parameter's problem, `value` what was given (shortened)."""

    kind: str  # campaign | wiki | wiki-mismatch | no-campaign | user | link
    value: str
    detail: DomainError | None = None  # what the link check said


@dataclass
class Prefill:
    campaign: Campaign | None = None
    recipient: str = ""
    link: str = ""
    notices: list[Notice] = field(default_factory=list)


def short(value: str) -> str:
    return value if len(value) <= SHOWN else value[:SHOWN] + "…"


def find_wiki(config: Config, value: str) -> Wiki | None:
    """A configured wiki by its id or by its address (the mobile site's too)."""
    text = value.strip()
    if text in config.wikis:
        return config.wikis[text]
    if not text or len(text) > 300:
        return None
    try:
        host = urlsplit(text if "//" in text else "//" + text).netloc.lower()
    except ValueError:
        return None
    host = host.replace(".m.", ".", 1)
    for wiki in config.wikis.values():
        if urlsplit(wiki.api_url).netloc.lower() == host:
            return wiki
    return None


def read(config: Config, campaigns: Sequence[Campaign], given: Mapping[str, str]) -> Prefill:
    # Each value follows the one text rule first (kudos.plaintext), as a typed field does.
    args = {key: plaintext.line(given.get(key) or "") for key in ("campaign", "wiki", "user", "recipient", "link")}
    found = Prefill()
    open_by_slug = {c.slug: c for c in campaigns}
    wanted = args.get("campaign", "")
    if wanted:
        found.campaign = open_by_slug.get(wanted)
        if found.campaign is None:
            found.notices.append(Notice("campaign", short(wanted)))
    wiki_value = args.get("wiki", "")
    if wiki_value:
        wiki = find_wiki(config, wiki_value)
        if wiki is None:
            found.notices.append(Notice("wiki", short(wiki_value)))
        elif found.campaign is not None and found.campaign.wiki != wiki.id:
            found.notices.append(Notice("wiki-mismatch", short(wiki_value)))
        elif found.campaign is None:
            on_wiki = [c for c in campaigns if c.wiki == wiki.id]
            found.campaign = open_by_slug.get(community_slug(wiki.id)) or (on_wiki[0] if on_wiki else None)
            if found.campaign is None:
                found.notices.append(Notice("no-campaign", wiki.name))
    raw_user = args.get("user") or args.get("recipient") or ""
    if raw_user:
        name = canonical_username(raw_user)
        if name and possible_title(name) and len(name) <= 255:
            found.recipient = name
        else:
            found.notices.append(Notice("user", short(raw_user)))
    raw_link = args.get("link", "")
    if raw_link:
        found.link, notice = _link(config, found.campaign, raw_link)
        if notice is not None:
            found.notices.append(notice)
    return found


def _link(config: Config, campaign: Campaign | None, text: str) -> tuple[str, Notice | None]:
    if len(text) > LINK_MAX:
        return "", Notice("link", short(text))
    if campaign is None or campaign.wiki not in config.wikis:
        return text, None
    try:
        title, _revid = parse_link(config.wiki(campaign.wiki), text)
    except DomainError as error:
        return "", Notice("link", short(text), error)
    if title is not None and not possible_title(title):
        return "", Notice("link", short(text))
    return text, None
