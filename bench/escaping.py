"""Escaping benchmark: how much of a barnstar message editors see as character references in the source.

    python bench/escaping.py [--quick] [--count 1000]

On a corpus of realistic thank-you messages (English and Odia, with punctuation, page names and
addresses: tests/message_corpus.py) it compares the escaping the barnstar used before (a numeric entity
for every character that can take part in markup) with `kudos.barnstar.escape_text` (only what can act
where it stands), and ends with `RESULT escaping before=… after=…`: the share of the messages' characters
written as a character reference, in per cent.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kudos.barnstar import escape_text  # noqa: E402
from tests.message_corpus import messages  # noqa: E402

REFERENCE = re.compile(r"&(?:#[0-9]+|lt|gt|amp);")

# The barnstar's escaping before, for comparison: every markup character as a numeric entity.
_MARKUP = set("[]{}|~<>=_':*#;&!-")
_MAGIC_LINK = re.compile(r"\b(ISBN|RFC|PMID)(\s)")


def entity_escape(message: str) -> str:
    message = re.sub(r"(\n\s*){3,}", "\n\n", re.sub(r"\r\n|\r|\n", "\n", message).strip())
    out = []
    for char in message:
        if char == "\n":
            out.append("<br />")
        elif char in _MARKUP:
            out.append(f"&#{ord(char)};")
        elif char == "\t":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cs", "Co") or char in "\u2028\u2029":
            continue
        else:
            out.append(char)
    return _MAGIC_LINK.sub(lambda m: m.group(1) + "&#32;", "".join(out))


def escaped_share(escape: Callable[[str], str], corpus: list[str]) -> float:
    """Character references in the output per character of the messages (line breaks not counted)."""
    references = sum(len(REFERENCE.findall(escape(message))) for message in corpus)
    characters = sum(len(message.replace("\n", "")) for message in corpus)
    return 100 * references / characters


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 messages instead of 1,000")
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    corpus = messages(100 if args.quick else args.count)
    before, after = escaped_share(entity_escape, corpus), escaped_share(escape_text, corpus)
    print(f"{len(corpus)} messages, {sum(map(len, corpus))} characters")
    print(f"RESULT escaping before={before:.2f}% after={after:.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
