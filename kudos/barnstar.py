"""The barnstar as it lands on a user talk page: a new section built from the award catalogue (DESIGN §4).

The nominator's message is text, never wikitext. Every character that can start markup is written as a
numeric HTML entity, so the message cannot add templates, links, categories, signatures, tables,
headings, magic words or tags, whatever it contains (including `</nowiki>`, which is why no <nowiki>
wrapping is used). The parser decodes entities only after it has found the markup, so an escaped
message renders exactly as typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kudos.awards import Award, find_award
from kudos.config import Config
from kudos.consent_links import consent_url
from kudos.models import Delivery, Nomination
from kudos.nominations import TRUSTED_PREFIX
from kudos.wall import permalink

# Every character that opens or closes wikitext or HTML markup, or forms signatures (~), magic words
# (__X__), headings (=), lists (*#:;), bold/italics ('), external free links (the colon of http:) and
# entities (&). '!' and '-' start table cells and horizontal rules.
_MARKUP = set("[]{}|~<>=_':*#;&!-")
# ISBN/RFC/PMID followed by a space would be a magic link where the wiki enables them.
_MAGIC_LINK = re.compile(r"\b(ISBN|RFC|PMID)(\s)")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_BLANK_LINES = re.compile(r"(\n\s*){3,}")
MARKER_PREFIX = "kudos:delivery:"


@dataclass(frozen=True)
class Barnstar:
    title: str  # the section heading (sent as `sectiontitle`)
    text: str  # the section body, signature and marker included
    summary: str  # the edit summary


def escape_text(message: str) -> str:
    """The message as inert wikitext: entities for markup characters, <br /> for line breaks."""
    message = _NEWLINES.sub("\n", message).strip()
    message = _BLANK_LINES.sub("\n\n", message)
    out = []
    for char in message:
        if char == "\n":
            out.append("<br />")
        elif char in _MARKUP:
            out.append(f"&#{ord(char)};")
        elif char == "\t":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cs", "Co") or char in "\u2028\u2029":
            # Control characters (NUL, escapes), lone surrogates and private-use characters: dropped.
            continue
        else:
            out.append(char)
    return _MAGIC_LINK.sub(lambda m: m.group(1) + "&#32;", "".join(out))


def marker(key: str) -> str:
    """The hidden comment that tells whether a delivery already landed on a page."""
    return f"<!-- {MARKER_PREFIX}{key} -->"


def nomination_url(config: Config, nomination: Nomination) -> str:
    return permalink(config, nomination.id)


def _user_link(name: str) -> str:
    # Canonical user names cannot hold []{}|#<>, but a name is data: keep the link well formed anyway.
    safe = re.sub(r"[\[\]{}|#<>\n]", "", name)
    return f"[[User:{safe}|{escape_text(safe)}]]"


def _summary_link(config: Config, nomination: Nomination) -> str:
    # Edit summaries render wiki links only; Wikimedia wikis know the toolforge: interwiki prefix.
    found = re.fullmatch(r"https://([a-z0-9-]+)\.toolforge\.org", config.tool_url)
    if found:
        return f"[[toolforge:{found.group(1)}/shoutouts/{nomination.id}|nomination {nomination.id}]]"
    return nomination_url(config, nomination)


def _approval(nomination: Nomination) -> str:
    reviewer = nomination.reviewer
    if not reviewer:  # a preview, before anyone has reviewed it
        return "approved by an organizer"
    if reviewer.startswith(TRUSTED_PREFIX):
        return "approved on submission (trusted nominator)"
    return f"approved by {_user_link(reviewer)}"


def render(config: Config, delivery: Delivery, award: Award | None = None) -> Barnstar:
    nomination = delivery.nomination
    award = award or find_award(config, nomination.wiki, nomination.award)
    message = f"<bdi>{escape_text(nomination.message)}</bdi>"  # bdi: right-to-left text stays in its box
    credits = (f"Nominated by {_user_link(nomination.nominator)} · {_approval(nomination)} · via "
               f"[{nomination_url(config, nomination)} Kudos]")
    consent = (f"<small>Would you like this shared on Kudos' social media feeds? "
               f"[{consent_url(config, nomination)} Say yes or no here].</small>")
    title = re.sub(r"[\n=]", " ", award.name).strip()
    if award.template:
        # The wiki's own barnstar template takes the message as its first parameter; ours is escaped,
        # so it cannot close the template or add parameters.
        box = f"{{{{subst:{award.template}|1={message}<br />{credits}}}}}"
    else:
        box = (
            '{| style="border: 1px solid #a2a9b1; background-color: #fdffe7; margin: 0.5em 0;"\n'
            f'|rowspan="2" style="vertical-align: middle; padding: 5px;" | '
            f"[[File:{award.image}|100px|alt=|link=]]\n"
            f'|style="font-size: x-large; padding: 3px 3px 0 3px; height: 1.5em;" | \'\'\'{title}\'\'\'\n'
            "|-\n"
            f'|style="vertical-align: middle; padding: 3px;" | {message}<br />{credits}\n'
            "|}"
        )
    text = f"{box}\n{consent} ~~~~ {marker(delivery.key)}"
    summary = f"Kudos: {title} for {nomination.recipient}, nominated by {nomination.nominator} " \
              f"({_summary_link(config, nomination)})"
    return Barnstar(title=title, text=text, summary=summary)
