"""The words of a social shout-out: a per-language template, made inert and cut to each network's limit.

Only what Kudos means to be live is live: the link to the shout-out's permalink and the channel's
configured hashtags. Everything typed by people (the message, names, the campaign's name) is shown as
typed but cannot tag, mention or link on any network: a zero-width joiner after each character that
starts a hashtag, mention, cashtag or command, and inside every scheme and domain name, breaks Mastodon's
and Telegram's parsers, Matrix clients' and chat apps' linkifiers alike, and changes nothing people see
(a joiner belongs to the grapheme before it, so no network counts it as a character of its own).

Each network's counting rule lives here, in one place: Mastodon counts grapheme clusters with every
link as 23 and a mention as its user name; Bluesky 300 graphemes and 3000 UTF-8 bytes; Telegram UTF-16
code units. Grapheme counts take the larger of today's Unicode rules and those before Unicode 15.1
(which joined Indic conjuncts into one cluster), so a server on either side of that change accepts the
post; every limit keeps a few characters' safety margin besides.

Cutting works on grapheme clusters (`regex` \\X), so an Odia conjunct or an emoji is never split. The
permalink and the hashtags are never cut: the message shrinks first, then the text before the link.
"""

from __future__ import annotations

import html
import math
import re as std_re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import regex

from kudos.errors import ConfigError

ELLIPSIS = "…"
ZWJ = "\u200d"
SAFETY_MARGIN = 5  # characters left free under every limit, for a server that counts a little differently

MASTODON_URL_LENGTH = 23  # Mastodon counts every link as 23 characters, whatever its real length
BLUESKY_MAX_GRAPHEMES = 300
BLUESKY_MAX_BYTES = 3000

DEFAULT_TEMPLATES = {
    "en": "🌟 {recipient} received {award} from {nominator} on {wiki}: “{message}”\n{url}\n{hashtags}",
    # "On {wiki}, {nominator} has given {recipient} {award}: …"
    "or": "🌟 {wiki}ରେ {nominator} {recipient} ଙ୍କୁ {award} ଦେଇଛନ୍ତି: “{message}”\n{url}\n{hashtags}",
}
PLACEHOLDERS = ("recipient", "nominator", "award", "message", "wiki", "campaign", "url", "hashtags")
_FIELD = std_re.compile(r"\{(\w*)\}")
_URL_MARK, _TAGS_MARK = "\0", "\1"  # where the link and the hashtags go while a post is put together

# What could start something live: a hashtag or mention sign (ASCII and full-width), a cashtag, a
# command ("/start", a slash after a space); and a link's scheme ("https:", "//") or a domain's dot
# ("example.com", full-width and ideographic dots too).
_STARTS = frozenset("#＃@＠$＄/／:：.．。｡")
# Mastodon's mention rule (app/models/account.rb MENTION_RE), to count a mention as its user name.
_MENTION = regex.compile(r"(?<![=/\p{L}\p{M}\p{Nd}\p{Pc}])@(([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)"
                         r"(?:@[\p{L}\p{M}\p{Nd}\p{Pc}]+(?:[.-]+[\p{L}\p{M}\p{Nd}\p{Pc}]+)*)?)", regex.IGNORECASE)
# A virama (InCB=Linker) and the consonant after it: one cluster since Unicode 15.1, two before.
_CONJUNCT = regex.compile(r"[\u094D\u09CD\u0ACD\u0B4D\u0C4D\u0D4D][\p{M}\u200C\u200D]*\p{L}")


# --- counting, network by network ---

def graphemes(text: str) -> list[str]:
    return list(regex.findall(r"\X", text))


def grapheme_count(text: str) -> int:
    """Grapheme clusters, counted so that neither current nor pre-15.1 Unicode rules find more."""
    clusters = graphemes(text)
    return len(clusters) + sum(len(_CONJUNCT.findall(cluster)) for cluster in clusters if len(cluster) > 1)


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def mastodon_count(text: str) -> int:
    """Mastodon's StatusLengthValidator: links (as twitter-text finds them, with a scheme) count 23, a mention
    counts as "@user" without its domain, everything else by grapheme cluster."""
    # Imported here: twitter-text compiles its regular expressions at import (0.2 s), which every start of
    # the delivery job would pay, although only a Mastodon post is ever measured with it.
    from twitter_text.extract_urls import extract_urls_with_indices

    parts, last = [], 0
    for url in extract_urls_with_indices(text, False):
        start, end = url["indices"]
        parts += [text[last:start], "x" * MASTODON_URL_LENGTH]
        last = end
    parts.append(text[last:])
    countable = _MENTION.sub(lambda m: "@" + m.group(2), "".join(parts))
    return grapheme_count(countable)


def strict_count(text: str) -> int:
    """The strictest rule a Mastodon-API server might apply: every code point, links at full length."""
    return max(len(text), mastodon_count(text))


def bluesky_count(text: str) -> int:
    """Bluesky's two limits as one number on the grapheme scale: 300 graphemes and 3000 UTF-8 bytes."""
    return max(grapheme_count(text), math.ceil(utf8_length(text) * BLUESKY_MAX_GRAPHEMES / BLUESKY_MAX_BYTES))


# --- making people's text inert ---

def defuse(text: str) -> str:
    """`text` as people see it, but unable to tag, mention, link or command on any network."""
    out = []
    for index, char in enumerate(text):
        out.append(char)
        following = text[index + 1: index + 2]
        # A slash matters only as "//" or as a command's start; "a/b" stays plain.
        slash_ok = char in "/／" and following not in ("/", "／") and index > 0 and not text[index - 1].isspace()
        # Right after the sign, even before a combining mark: Mastodon takes "#" + a mark for a hashtag.
        if char in _STARTS and not slash_ok and not _ends_here(following):
            out.append(ZWJ)
    return "".join(out)


def _ends_here(following: str) -> bool:
    # Nothing live can go on past a space, the end, or a closing quote or bracket ("Thanks." stays plain).
    return not following or following[0].isspace() or unicodedata.category(following[0]) in ("Pe", "Pf") \
        or following[0] in ",;!?\"'"


def _clean(value: Any) -> str:
    """One line of printable text: whitespace runs become one space, control characters go."""
    text = " ".join(str(value).split())
    return "".join(c for c in text if unicodedata.category(c) != "Cc")


# --- templates ---

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
    """A post's text; the link is text[url_start:url_end], each hashtag starts at one of `tag_starts`."""

    text: str
    url: str
    url_start: int
    tags: tuple[str, ...] = ()  # the hashtags in the text, without "#"
    tag_starts: tuple[int, ...] = ()

    @property
    def url_end(self) -> int:
        return self.url_start + len(self.url)

    def byte_span(self, start: int, end: int) -> tuple[int, int]:
        """UTF-8 byte offsets of text[start:end] (what Bluesky facets use)."""
        first = len(self.text[:start].encode("utf-8"))
        return first, first + len(self.text[start:end].encode("utf-8"))

    def url_bytes(self) -> tuple[int, int]:
        return self.byte_span(self.url_start, self.url_end)

    def tag_bytes(self) -> list[tuple[str, int, int]]:
        """Each hashtag with the UTF-8 byte offsets of "#name"."""
        return [(tag, *self.byte_span(start, start + 1 + len(tag)))
                for tag, start in zip(self.tags, self.tag_starts, strict=True)]

    def html(self, link: Callable[[str], str] | None = None) -> str:
        """The text as HTML with the link made clickable."""
        def escape(part: str) -> str:
            return html.escape(part, quote=False)
        anchor = link(self.url) if link else f'<a href="{html.escape(self.url)}">{escape(self.url)}</a>'
        return escape(self.text[: self.url_start]) + anchor + escape(self.text[self.url_end:])

    def replace_link(self, make: Callable[[str], str]) -> str:
        """The text with the link written in a network's own link syntax (Slack's <url|label>)."""
        return self.text[: self.url_start] + make(self.url) + self.text[self.url_end:]


def render(fields: Mapping[str, Any], template: str, hashtags: tuple[str, ...], max_length: int,
           count: Callable[[str], int]) -> Rendered:
    """Fill the template, people's text made inert, and cut it to `max_length` as `count` measures it."""
    if "{url}" not in template:
        template = template.rstrip() + "\n{url}"
    url = str(fields["url"])
    values = {name: defuse(_clean(fields.get(name, ""))) for name in PLACEHOLDERS}
    whole = graphemes(values["message"])

    def filled(message: str, tags: bool) -> str:
        marks = {**values, "message": message, "url": _URL_MARK, "hashtags": _TAGS_MARK if tags else ""}
        text = _FIELD.sub(lambda m: marks.get(m.group(1), m.group(0)), template)
        text = "\n".join(line.rstrip() for line in text.strip().splitlines())
        return text if _URL_MARK in text else text + "\n" + _URL_MARK

    def assemble(text: str) -> Rendered:
        out: list[str] = []
        length, url_start, starts = 0, -1, []
        for piece in regex.split(f"([{_URL_MARK}{_TAGS_MARK}])", text):
            if piece == _URL_MARK and url_start < 0:
                url_start, piece = length, url
            elif piece == _URL_MARK:
                piece = url
            elif piece == _TAGS_MARK:
                starts += [length + sum(len(t) + 2 for t in hashtags[:i]) for i in range(len(hashtags))]
                piece = " ".join("#" + tag for tag in hashtags)
            out.append(piece)
            length += len(piece)
        return Rendered("".join(out), url, url_start, hashtags if starts else (), tuple(starts))

    def fits(candidate: Rendered) -> bool:
        return count(candidate.text) <= max_length

    def with_message(n: int, tags: bool) -> Rendered:
        part = values["message"] if n >= len(whole) else "".join(whole[:n]).rstrip() + ELLIPSIS
        return assemble(filled(part, tags))

    for tags in ([True, False] if hashtags else [False]):
        full = with_message(len(whole), tags)
        if fits(full):
            return full
        # The longest cut message that fits.
        low, high, best = 0, len(whole) - 1, None
        while low <= high:
            middle = (low + high) // 2
            candidate = with_message(middle, tags)
            if fits(candidate):
                best, low = candidate, middle + 1
            else:
                high = middle - 1
        if best is not None:
            return best
        # Even without the message it is too long: cut the text before the link, then keep only the
        # link and the hashtags.
        head, _, tail = filled("", tags).partition(_URL_MARK)
        tags_first = _TAGS_MARK + "\n" if _TAGS_MARK in head else ""
        units = graphemes(head.replace(_TAGS_MARK, ""))
        while units:
            units.pop()
            cut = "".join(units).rstrip()
            candidate = assemble((cut + ELLIPSIS + " " if cut else "") + tags_first + _URL_MARK + tail)
            if fits(candidate):
                return candidate
        if tags and fits(candidate := assemble(_URL_MARK + "\n" + _TAGS_MARK)):
            return candidate
    return assemble(_URL_MARK)
