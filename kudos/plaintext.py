"""The one rule for text that people write into Kudos: what is kept, what becomes a line break, what goes.

Every text input applies it — each web form field (`kudos.web.forms.Form`), and the core functions that
accept text from the command line, the configuration and the bulk list — and the feeds apply it again to
whatever older rows hold. Kept: every letter, mark, digit and symbol of every script, tab and line
breaks, the zero-width joiners that Odia, Bengali and Persian are written with (U+200C, U+200D), and
the left-to-right and right-to-left marks (U+200E, U+200F, U+061C) that mixed Hebrew or Arabic text
needs. Line breaks are LF, however they were sent (browsers send CRLF; vertical tab, form feed, NEL and
the Unicode line and paragraph separators are line breaks too).

Removed, because XML forbids them (one would break the Atom feed for every subscriber) or because they
are invisible to the organizer who reviews the text while changing what others see: the C0 and C1
control characters other than tab and LF, lone surrogates, noncharacters, the byte order mark, the
interlinear annotation characters, and the bidi embeddings, overrides and isolates (U+202A–U+202E,
U+2066–U+2069), which can reorder a whole line. Nothing visible is lost; the preview, the review queue
and the person's own page show the text as stored.
"""

from __future__ import annotations

import re

# Unicode's line breaks: CRLF, CR, vertical tab, form feed, next line, line and paragraph separators.
_BREAK_CHARACTERS = "\r\x0b\x0c\x85\u2028\u2029"
_BREAKS = re.compile(f"\r\n?|[{_BREAK_CHARACTERS}]")
_REMOVED_CHARACTERS = (
    "\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f"  # controls other than tab and the line breaks
    "\ud800-\udfff"  # lone surrogates: not characters, and no encoding can store them
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    "\ufeff\ufff9-\ufffb"  # byte order mark, interlinear annotations
    "\ufdd0-\ufdef" + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}"
                               for plane in range(17))  # noncharacters
)
_REMOVED = re.compile(f"[{_REMOVED_CHARACTERS}]")
_EITHER = re.compile(f"[{_BREAK_CHARACTERS}{_REMOVED_CHARACTERS}]")
_WHITESPACE = re.compile("[ \t\n]+")


def clean(text: str) -> str:
    """Text of any number of lines: LF line breaks, and none of the removed characters."""
    if _EITHER.search(text) is None:  # nearly all text: one scan, and the same string back
        return text
    return _REMOVED.sub("", _BREAKS.sub("\n", text))


def line(text: str) -> str:
    """Text of one line (a name, a title, a link): cleaned, with every run of white space one space."""
    return _WHITESPACE.sub(" ", clean(text)).strip()


def is_clean_line(text: str) -> bool:
    """Whether the text is one line with nothing removed: no control character at all, not even tab or LF."""
    return "\t" not in text and "\n" not in text and clean(text) == text
