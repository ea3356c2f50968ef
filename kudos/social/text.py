"""The words of a social shout-out: a per-language template, cut to each network's limit.

Cutting works on grapheme clusters (`regex` \\X), so an Odia conjunct or an emoji is never split, and
the link to the shout-out's permalink is never cut: the message shrinks first, then the hashtags go,
then the text before the link. Nobody is ever @-mentioned: every "@" is followed by a zero-width joiner.
"""

from __future__ import annotations

import html
import re as std_re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import regex

from kudos.errors import ConfigError

ELLIPSIS = "…"
ZWJ = "\u200d"  # after "@", breaks every network's mention syntax without changing what people see
MASTODON_URL_LENGTH = 23  # Mastodon counts every URL as 23 characters, whatever its real length

DEFAULT_TEMPLATES = {
    "en": "🌟 {recipient} received {award} from {nominator} on {wiki}: “{message}”\n{url}\n{hashtags}",
    # "On {wiki}, {nominator} has given {recipient} {award}: …"
    "or": "🌟 {wiki}ରେ {nominator} {recipient} ଙ୍କୁ {award} ଦେଇଛନ୍ତି: “{message}”\n{url}\n{hashtags}",
}
PLACEHOLDERS = ("recipient", "nominator", "award", "message", "wiki", "campaign", "url", "hashtags")
_URL = std_re.compile(r"https?://\S+")
_FIELD = std_re.compile(r"\{(\w*)\}")


def graphemes(text: str) -> list[str]:
    return list(regex.findall(r"\X", text))


def grapheme_count(text: str) -> int:
    return len(graphemes(text))


def mastodon_count(text: str) -> int:
    urls = _URL.findall(text)
    return len(text) - sum(len(url) for url in urls) + MASTODON_URL_LENGTH * len(urls)


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def no_mentions(text: str) -> str:
    """Keep "@name" readable but inert on every network."""
    return text.replace("@", "@" + ZWJ)


def choose_template(template: str | Mapping[str, str] | None, language: str) -> str:
    if isinstance(template, Mapping):
        chosen = template.get(language) or template.get("en") or next(iter(template.values()), None)
        if chosen:
            return chosen
    elif template:
        return template
    return DEFAULT_TEMPLATES.get(language) or DEFAULT_TEMPLATES["en"]


def check_template(where: str, template: str | Mapping[str, str] | None) -> None:
    """Refuse unknown placeholders when the channel is built, not when the first post fails."""
    texts = template.values() if isinstance(template, Mapping) else [template] if template else []
    for text in texts:
        for name in _FIELD.findall(text):
            if name not in PLACEHOLDERS:
                raise ConfigError(f"The configuration key “{where}” uses {{{name}}}; the known placeholders "
                                  f"are {', '.join('{' + p + '}' for p in PLACEHOLDERS)}.")


@dataclass(frozen=True)
class Rendered:
    """A post's text; the link is text[url_start:url_start + len(url)] and is never cut."""

    text: str
    url: str
    url_start: int

    @property
    def url_end(self) -> int:
        return self.url_start + len(self.url)

    def url_bytes(self) -> tuple[int, int]:
        """UTF-8 byte offsets of the link (what Bluesky facets use)."""
        start = len(self.text[: self.url_start].encode("utf-8"))
        return start, start + len(self.url.encode("utf-8"))

    def html(self, link: Callable[[str], str] | None = None) -> str:
        """The text as HTML with the link made clickable and line breaks kept."""
        def escape(part: str) -> str:
            return html.escape(part, quote=False)
        anchor = link(self.url) if link else f'<a href="{html.escape(self.url)}">{escape(self.url)}</a>'
        body = escape(self.text[: self.url_start]) + anchor + escape(self.text[self.url_end:])
        return body

    def replace_link(self, make: Callable[[str], str]) -> str:
        """The text with the link written in a network's own link syntax (Slack's <url|label>)."""
        return self.text[: self.url_start] + make(self.url) + self.text[self.url_end:]


def render(fields: Mapping[str, Any], template: str, hashtags: tuple[str, ...], max_length: int,
           count: Callable[[str], int]) -> Rendered:
    """Fill the template and cut it to `max_length` as `count` measures it."""
    if "{url}" not in template:
        template = template.rstrip() + "\n{url}"
    message = " ".join(str(fields.get("message", "")).replace("\0", "").split())
    tags = " ".join("#" + tag for tag in hashtags)

    def build(message_part: str, tag_part: str) -> tuple[str, str]:
        values = {name: no_mentions(" ".join(str(fields.get(name, "")).replace("\0", "").split()))
                  for name in PLACEHOLDERS}
        values.update(message=no_mentions(message_part), hashtags=tag_part, url="\0")
        filled = _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), template)
        filled = "\n".join(line.rstrip() for line in filled.strip().splitlines())
        before, _, after = filled.partition("\0")
        return before, after

    url = str(fields["url"])
    whole = graphemes(message)

    def fits(before: str, after: str) -> bool:
        return count(before + url + after) <= max_length

    def with_message(n: int, tag_part: str) -> tuple[str, str]:
        part = message if n >= len(whole) else "".join(whole[:n]).rstrip() + ELLIPSIS
        return build(part, tag_part)

    for tag_part in ([tags, ""] if tags else [""]):
        before, after = with_message(len(whole), tag_part)
        if fits(before, after):
            return Rendered(before + url + after, url, len(before))
        low, high = 0, len(whole) - 1  # the longest cut message that fits
        best: tuple[str, str] | None = None
        while low <= high:
            middle = (low + high) // 2
            candidate = with_message(middle, tag_part)
            if fits(*candidate):
                best, low = candidate, middle + 1
            else:
                high = middle - 1
        # Keep the hashtags only while a useful part of the message survives.
        if best is not None and (not tag_part or low - 1 >= min(len(whole), 30)):
            return Rendered(best[0] + url + best[1], url, len(best[0]))
    # Even without the message it is too long: cut the text before the link.
    before, after = with_message(0, "")
    after = after.rstrip() if not fits(before, after) else after
    parts = graphemes(before)
    while parts and not fits("".join(parts) + ELLIPSIS + " ", after):
        parts.pop()
    before = "".join(parts).rstrip() + ELLIPSIS + " " if parts else ""
    if not fits(before, after):
        before, after = "", ""
    return Rendered(before + url + after, url, len(before))
