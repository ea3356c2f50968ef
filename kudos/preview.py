"""What a nomination will look like on the recipient's talk page, before anyone confirms it.

`preview_wikitext` builds the section exactly as the delivery job will post it (through
`kudos.barnstar` when that module is present); the wiki's own parser renders it (`WikiApi.parse`), and
`sanitize_wiki_html` makes that HTML safe to embed in our pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import nh3

from kudos.awards import find_award
from kudos.config import Config, Wiki
from kudos.models import Campaign

try:  # the talk-page renderer of the delivery job; absent on branches that predate it
    from kudos import barnstar as _barnstar  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # pragma: no cover - depends on which parts are merged
    _barnstar = None  # type: ignore[assignment,unused-ignore]

PREVIEW_KEY = "preview"


@dataclass
class Draft:
    """A nomination that is not saved yet: the fields the renderer reads from a Nomination."""

    campaign: Campaign
    wiki: str
    nominator: str
    recipient: str
    award: str
    message: str
    link: str = ""
    reviewer: str | None = None
    id: int | None = None
    original_message: str | None = None


def talk_page_title(recipient: str) -> str:
    return f"User talk:{recipient}"


def preview_wikitext(config: Config, nomination_like: Any) -> str:
    """The wikitext of the new talk-page section, heading included."""
    if _barnstar is not None:
        # The renderer reads only .nomination and .key of a delivery; a stand-in avoids a database row.
        delivery: Any = SimpleNamespace(nomination=nomination_like, key=PREVIEW_KEY, channel="talkpage")
        rendered = _barnstar.render(config, delivery)
        return f"== {rendered.title} ==\n{rendered.text}"
    return _simple_wikitext(config, nomination_like)


def _simple_wikitext(config: Config, nomination: Any) -> str:
    # Used only until the delivery job's renderer is merged: the message is shown in <nowiki> so that
    # nothing typed becomes markup (the real renderer escapes it character by character).
    award = find_award(config, nomination.wiki, nomination.award)
    message = nomination.message.replace("</nowiki", "&lt;/nowiki").replace("\n", "<br />")
    return (f"== {award.name} ==\n[[File:{award.image}|100px|alt=|link=]] '''{award.name}'''\n\n"
            f"<nowiki>{message}</nowiki>\n\nNominated by [[User:{nomination.nominator}]] · via Kudos ~~~~")


# --- sanitizing the wiki parser's HTML ---------------------------------------------------------------

_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}
# No id (it could clash with our page's ids), no style (CSS can exfiltrate and overlay), no on* handlers.
_ATTRIBUTES = {
    "*": {"class", "dir", "lang", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
IMAGE_HOST = "upload.wikimedia.org"


def sanitize_wiki_html(html: str, wiki: Wiki) -> str:
    """An allow-list of tags and attributes (ammonia, through nh3). Scripts, styles, forms, frames and
    event handlers are dropped; images load only from upload.wikimedia.org; relative links are made to
    point at the wiki, not at Kudos."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(wiki.api_url))

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            if value.startswith("//" + IMAGE_HOST + "/"):
                return "https:" + value
            return value if value.startswith("https://" + IMAGE_HOST + "/") else None
        if tag == "a" and attribute == "href":
            if value.startswith("//"):
                return "https:" + value
            if value.startswith("/"):
                return origin + value
        return value

    cleaned: str = nh3.clean(
        html, tags=_TAGS, attributes=_ATTRIBUTES, attribute_filter=keep, url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer", strip_comments=True,
    )
    return cleaned
