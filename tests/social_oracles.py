"""How each network itself finds hashtags, mentions and links, and counts a post's length: the tests' oracles.

Written from the networks' own sources, independently of kudos.social.text:
- Mastodon: `Tag::HASHTAG_RE` (app/models/concerns/tag/naming.rb, and the older app/models/tag.rb form),
  `Account::MENTION_RE` (app/models/account.rb), links as twitter-text extracts them (with a scheme), and
  `StatusLengthValidator` (links count 23, mentions as "@user", then `each_grapheme_cluster`, which in Ruby
  3.4 follows Unicode 15.0: no Indic conjunct clusters). Ruby's POSIX classes are spelled out, because the
  `regex` module's \\w also matches the zero-width joiners.
- Domain-like text and bare links as chat clients find them: twitter-text without a scheme, and
  linkify-it (the linkifier of markdown-it) with fuzzy links and e-mail addresses.
"""

from __future__ import annotations

import grapheme
import regex
from linkify_it import LinkifyIt
from twitter_text.extract_urls import extract_urls_with_indices

WORD = r"\p{L}\p{M}\p{Nd}\p{Pc}"  # Onigmo's [[:word:]]
ALPHA = r"\p{L}\p{M}"  # Onigmo's [[:alpha:]]
SEPARATORS = "_\u00b7\u30fb\u200c"
_NAME = (f"([{WORD}_][{WORD}{SEPARATORS}]*[{ALPHA}{SEPARATORS}][{WORD}{SEPARATORS}]*[{WORD}_])"
         f"|([{WORD}_]*[{ALPHA}][{WORD}_]*)")
HASHTAG_RE = regex.compile(rf"(?<=^|\s)[#＃]({_NAME})", regex.V0)
OLD_HASHTAG_RE = regex.compile(rf"(?:^|[^/)A-Za-z0-9_])#({_NAME})", regex.IGNORECASE)
MENTION_RE = regex.compile(rf"(?<![=/{WORD}])@(([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@[{WORD}]+(?:[.-]+[{WORD}]+)*)?)",
                           regex.IGNORECASE)
_linkify = LinkifyIt(options={"fuzzyLink": True, "fuzzyEmail": True, "fuzzyIP": True})


def mastodon_hashtags(text: str) -> set[str]:
    return {m.group(1) for pattern in (HASHTAG_RE, OLD_HASHTAG_RE) for m in pattern.finditer(text)}


def mastodon_mentions(text: str) -> list[str]:
    return [m.group(1) for m in MENTION_RE.finditer(text)]


def mastodon_links(text: str) -> list[str]:
    return [u["url"] for u in extract_urls_with_indices(text, False)]


def anything_linkable(text: str) -> list[str]:
    """Every link, domain-like word or e-mail address a linkifier could turn into a link."""
    found = [u["url"] for u in extract_urls_with_indices(text, True)]
    return found + [m.text for m in (_linkify.match(text) or [])]


def mastodon_length(text: str) -> int:
    """StatusLengthValidator#countable_length of a status without a content warning."""
    parts, last = [], 0
    for url in extract_urls_with_indices(text, False):
        start, end = url["indices"]
        parts += [text[last:start], "x" * 23]
        last = end
    parts.append(text[last:])
    countable = MENTION_RE.sub(lambda m: "@" + m.group(2), "".join(parts))
    return int(grapheme.length(countable))


def graphemes_now(text: str) -> int:
    """Grapheme clusters by today's rules (Unicode 15.1 and later: an Indic conjunct is one)."""
    return len(regex.findall(r"\X", text))


def graphemes_before_15_1(text: str) -> int:
    return int(grapheme.length(text))
