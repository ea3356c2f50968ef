"""The barnstar as it lands on a user talk page: a new section built from the award catalogue (DESIGN §4).

The nominator's message is text, never wikitext, and it stays readable in the source editor: only what
could act where it stands is escaped, as a character reference that the parser decodes after it has
found the markup (so the message renders exactly as typed):
- everywhere: brackets, braces, pipes, angle brackets and ampersands (links, templates, tables, tags,
  entities; `&` as `&amp;`, `<` and `>` as `&lt;` `&gt;`); every second apostrophe of a run (bold and
  italics), every third tilde (signatures), every second underscore (`__MAGIC WORDS__`);
- at the start of the message: `*`, `#`, `:`, `;`, `=`, `!` and `----`, which would start a list, a
  heading, a table cell or a rule there (a line break inside the message is `<br />`, not a new line);
- the colon of a URL scheme, and the space after ISBN, RFC or PMID, only where they would make a link.
`tests/test_barnstar_escaping.py` checks all of this against a real MediaWiki parser.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kudos import i18n, wall
from kudos.awards import Award, find_award
from kudos.config import Config
from kudos.consent_links import consent_url
from kudos.models import Delivery, Nomination
from kudos.nominations import TRUSTED_PREFIX

_ALWAYS = {"[": "&#91;", "]": "&#93;", "{": "&#123;", "}": "&#125;", "|": "&#124;", "<": "&lt;", ">": "&gt;",
           "&": "&amp;"}
# A run of these acts once it is this long: '' (italics), ~~~ (signature), __ (behaviour switch). Every
# n-th character of a run is escaped, so no run of the length survives.
_RUNS = {"'": 2, "~": 3, "_": 2}
_LINE_START = set("*#:;=!")
# Free external links: any `scheme://`, and MediaWiki's schemes without slashes (escaped wherever they
# appear: inside a word they would not link, but one escaped character before them can end the word).
_URL_SCHEME = re.compile(r"(?:[a-z][a-z0-9+.-]*(?=://)|(?:bitcoin|geo|magnet|mailto|matrix|news|sips?|sms|tel|urn|xmpp)"
                         r"(?=:))(?=:\S)", re.IGNORECASE)
# ISBN, RFC and PMID followed by spaces and a digit are magic links where the wiki enables them.
_MAGIC_LINK = re.compile(r"(?:ISBN|RFC|PMID)(?=[\u0020\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+[0-9])")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_BLANK_LINES = re.compile(r"(\n\s*){3,}")
MARKER_PREFIX = "kudos:delivery:"


@dataclass(frozen=True)
class Barnstar:
    title: str  # the section heading (sent as `sectiontitle`)
    text: str  # the section body, signature and marker included
    summary: str  # the edit summary


def _entity(char: str) -> str:
    return _ALWAYS.get(char) or f"&#{ord(char)};"


def _plain(char: str) -> str:
    """Tabs as spaces; control characters (NUL, escapes), lone surrogates and private-use ones dropped."""
    if char == "\t":
        return " "
    if char != "\n" and (unicodedata.category(char) in ("Cc", "Cs", "Co") or char in "\u2028\u2029"):
        return ""
    return char


def escape_text(message: str) -> str:
    """The message as inert wikitext that reads as typed: see the module's docstring for what is escaped."""
    message = "".join(_plain(char) for char in _NEWLINES.sub("\n", message)).strip()
    message = _BLANK_LINES.sub("\n\n", message)
    # The colons of URL schemes and the spaces after ISBN, RFC and PMID that would make links.
    linking = {m.end() for m in _URL_SCHEME.finditer(message)} | {m.end() for m in _MAGIC_LINK.finditer(message)}
    out: list[str] = []
    run_char, run = "", 0
    for index, char in enumerate(message):
        run = run + 1 if char == run_char else 1
        run_char = char
        if char == "\n":
            out.append("<br />")
        elif char in _ALWAYS:
            out.append(_ALWAYS[char])
        elif char in _RUNS:
            out.append(_entity(char) if run % _RUNS[char] == 0 else char)
        elif index in linking or (index == 0 and (char in _LINE_START or message.startswith("----"))):
            out.append(_entity(char))
        else:
            out.append(char)
    return "".join(out)


def marker(key: str) -> str:
    """The hidden comment that tells whether a delivery already landed on a page."""
    return f"<!-- {MARKER_PREFIX}{key} -->"


def nomination_url(config: Config, nomination: Nomination) -> str:
    return wall.permalink(config, nomination.id)


def _user_link(name: str) -> str:
    # Canonical user names cannot hold []{}|#<>, but a name is data: keep the link well formed anyway.
    safe = re.sub(r"[\[\]{}|#<>\n]", "", name)
    return f"[[User:{safe}|{escape_text(safe)}]]"


def _say(language: str, key: str, *params: str) -> str:
    """A message in the wiki's language as wikitext: its words escaped as text like the nominator's
    message (a translation cannot add markup), its parameters (wikitext made here) put in as they are."""
    slots = [f"\u27e6{index}\u27e7" for index in range(len(params))]
    said = escape_text(i18n.text(language, key, *slots))
    for slot, value in zip(slots, params, strict=True):
        said = said.replace(slot, value)
    return said


def _summary_link(config: Config, nomination: Nomination, language: str) -> str:
    # Edit summaries render wiki links only; Wikimedia wikis know the toolforge: interwiki prefix.
    found = re.fullmatch(r"https://([a-z0-9-]+)\.toolforge\.org", config.tool_url)
    if found:
        label = _say(language, "kudos-barnstar-summary-link", str(nomination.id))
        return f"[[toolforge:{found.group(1)}/shoutouts/{nomination.id}|{label}]]"
    return nomination_url(config, nomination)


def _approval(nomination: Nomination, language: str) -> str:
    reviewer = nomination.reviewer
    if not reviewer:  # a preview, before anyone has reviewed it
        return _say(language, "kudos-barnstar-approved-by-organizer")
    if reviewer.startswith(TRUSTED_PREFIX):
        return _say(language, "kudos-barnstar-approved-trusted")
    return _say(language, "kudos-barnstar-approved-by", _user_link(reviewer))


def _closing(config: Config, nomination: Nomination, language: str, shared: bool) -> str:
    """Who agreed to public sharing is pointed to their own page, as the wall does; others are asked."""
    if shared:
        page = wall.person_url(config, nomination.wiki, nomination.recipient)
        return _say(language, "kudos-barnstar-your-page",
                    f"[{page} {_say(language, 'kudos-barnstar-your-page-link')}]")
    return _say(language, "kudos-barnstar-consent",
                f"[{consent_url(config, nomination)} {_say(language, 'kudos-barnstar-consent-link')}]")


def render(config: Config, delivery: Delivery, award: Award | None = None, *, shared: bool = False) -> Barnstar:
    """The section; `shared`: the recipient agreed to public sharing (`kudos.wall.with_personal_pages`).
    Everything but the nominator's message is in the wiki's content language (English where untranslated)."""
    nomination = delivery.nomination
    language = config.wiki(nomination.wiki).language
    award = award or find_award(config, nomination.wiki, nomination.award)
    message = f"<bdi>{escape_text(nomination.message)}</bdi>"  # bdi: right-to-left text stays in its box
    credits = _say(language, "kudos-barnstar-credits", _user_link(nomination.nominator),
                   _approval(nomination, language), f"[{nomination_url(config, nomination)} Kudos]")
    name = re.sub(r"[\n=]", " ", award.name).strip()
    title = _say(language, "kudos-barnstar-heading", escape_text(name))
    if award.template:
        # The wiki's own barnstar template takes the message as its first parameter; ours is escaped,
        # so it cannot close the template or add parameters.
        box = f"{{{{subst:{award.template}|1={message}<br />{credits}}}}}"
    else:
        box = (
            '{| style="border: 1px solid #a2a9b1; background-color: #fdffe7; margin: 0.5em 0;"\n'
            f'|rowspan="2" style="vertical-align: middle; padding: 5px;" | '
            f"[[File:{award.image}|100px|alt=|link=]]\n"
            f'|style="font-size: x-large; padding: 3px 3px 0 3px; height: 1.5em;" | \'\'\'{name}\'\'\'\n'
            "|-\n"
            f'|style="vertical-align: middle; padding: 3px;" | {message}<br />{credits}\n'
            "|}"
        )
    text = f"{box}\n<small>{_closing(config, nomination, language, shared)}</small> ~~~~ {marker(delivery.key)}"
    summary = _say(language, "kudos-barnstar-summary", escape_text(name), escape_text(nomination.recipient),
                   escape_text(nomination.nominator), _summary_link(config, nomination, language))
    return Barnstar(title=title, text=text, summary=summary)
