"""The barnstar's message is text: the real MediaWiki parser shows it exactly as typed and adds nothing, and
the source stays readable (only what could act where it stands is escaped). Checked on random messages
full of markup, on the injection corpus and on 1,000 realistic messages, through the talk-page section
and through the preview that shows it before anyone confirms."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kudos.barnstar import escape_text
from kudos.config import Wiki
from kudos.models import Campaign
from kudos.preview import Draft, preview_wikitext, sanitize_wiki_html
from tests import message_corpus
from tests.servers.mediawiki import LocalWiki
from tests.support import make_config

pytestmark = pytest.mark.mediawiki

# Pieces of every kind of wikitext that could act inside a message, and some that only look like it.
MARKUP = [
    "[[", "]]", "[", "]", "{{", "}}", "{{{", "}}}", "{|", "|}", "|-", "|", "||", "!", "!!", "''", "'''", "'",
    "~~~", "~~~~", "~~~~~", "~", "__", "_", "NOTOC", "__TOC__", "__NOINDEX__", "<", ">", "</nowiki>", "<nowiki>",
    "<!--", "-->", "<ref>", "</ref>", "<references />", "<script>", "<br>", "<div>", "&", "&amp;", "&lt;",
    "&#91;", "&nbsp;", "=", "==", "*", "#", ":", ";", "----", "-", "--", " ", "  ", "\n", "\r\n", "\t",
    "http://", "https://x.org/a_b", "HTTPS://Y.ORG", "mailto:", "mailto:a@b.c", "tel:1", "news:x", "//x.org",
    "ftp://", "ISBN ", "ISBN 0123456789", "ISBN 978-0-12-345678-9", "RFC ", "RFC 1234", "PMID 99", "0123456789",
    "[http://x.org y]", "{{PAGENAME}}", "{{subst:x}}", "[[Category:X]]", "[[File:X.png]]", "#REDIRECT", "-{", "}-",
    "{{#if:1|x}}", "Wikipedia:", "User:X", "\u00a0", "«", "»", "?", "%", "e\u0301", "ଓଡ଼ିଆ", "שלום",
    "\u202e", "\x00", "\x1b", "\u2028", "\ufeff", "x", "X", "a", "1",
]
message_text = st.lists(st.one_of(st.sampled_from(MARKUP), st.text(max_size=4)), max_size=24).map("".join)

PROPS = "text|links|templates|categories|externallinks|iwlinks|images|sections|properties"
SCHEMES_WITHOUT_SLASHES = {"bitcoin", "geo", "magnet", "mailto", "matrix", "news", "sip", "sips", "sms", "tel",
                           "urn", "xmpp"}
BDI = re.compile(r"<bdi>(.*?)</bdi>", re.DOTALL)
REFERENCE = re.compile(r"<br />|&#[0-9]+;|&lt;|&gt;|&amp;|.", re.DOTALL)


@pytest.fixture(scope="module")
def wiki(local_wiki: LocalWiki) -> Iterator[LocalWiki]:
    # ISBN, RFC and PMID links are off by default since MediaWiki 1.28; some wikis turn them on.
    local_wiki.set_override("wgEnableMagicLinks", "['ISBN' => true, 'PMID' => true, 'RFC' => true]")
    try:
        yield local_wiki
    finally:
        local_wiki.set_override("wgEnableMagicLinks", None)


def _draft(message: str) -> Draft:
    return Draft(campaign=Campaign(slug="workshop", name="Workshop"), wiki="enwiki", nominator="Nina",
                 recipient="Ravi", award="barnstar", message=message, id=7)


CONFIG = make_config(tool_url="https://kudos.example.org")


def _parse(wiki: LocalWiki, sections: list[str]) -> dict[str, Any]:
    # A POST: a batch of sections is too long for an address.
    response = wiki.http.post(wiki.api_url, data={
        "action": "parse", "format": "json", "formatversion": "2", "title": "User talk:Ravi",
        "text": "\n".join(sections), "contentmodel": "wikitext", "pst": "1", "prop": PROPS,
        "disablelimitreport": "1", "disableeditsection": "1",
        "disabletoc": "1",  # four sections or more would get a table of contents
    }, timeout=120)
    response.raise_for_status()
    parsed: dict[str, Any] = response.json()["parse"]
    return parsed


def _metadata(parsed: dict[str, Any]) -> dict[str, Any]:
    return {key: sorted(map(repr, parsed[key])) for key in PROPS.split("|") if key not in ("text", "sections")}


def _chunks(page_html: str) -> list[str]:
    """Each section's HTML, with heading ids (numbered when a title repeats) left out."""
    page_html = re.sub(r"\s*</div>\s*$", "\n", page_html)  # the end of the parser's wrapper
    return [re.sub(r' id="[^"]*"', "", chunk) for chunk in page_html.split("<h2>")[1:]]


def expected_text(message: str) -> str:
    """The message as the reader should see it: what the barnstar keeps of it, in NFC as MediaWiki stores it."""
    message = re.sub(r"\r\n|\r", "\n", message).replace("\t", " ")
    message = "".join(c for c in message if c == "\n" or not (
        unicodedata.category(c) in ("Cc", "Cs", "Co") or c in "\u2028\u2029"))
    message = re.sub(r"(\n\s*){3,}", "\n\n", message.strip())
    return unicodedata.normalize("NFC", message)


def _same_text(shown: str, typed: str) -> bool:
    # MediaWiki writes a space before ? : ; ! % » as a no-break space ("French spaces"), whatever is typed.
    return len(shown) == len(typed) and all(s == t or (s == "\u00a0" and t == " ")
                                            for s, t in zip(shown, typed, strict=True))


def _shown(chunk: str) -> str:
    found = BDI.search(chunk)
    assert found, chunk
    inner = found.group(1).replace("<br />", "\n").replace("<br>", "\n")
    assert "<" not in inner, inner  # no element of any kind inside the message
    return html.unescape(inner)


def _scheme_before(text: str, index: int) -> bool:
    """A scheme ends just before `index`: any before ://, or one without slashes at the end of a word (escaped
    inside a word too, by design: an escaped character before the word would end the word there)."""
    found = re.search(r"([a-z][a-z0-9+.-]*)$", text[:index], re.IGNORECASE)
    return bool(found) and (text[index:index + 3] == "://" or any(
        found.group(1).lower().endswith(scheme) for scheme in SCHEMES_WITHOUT_SLASHES))


def check_source(message: str) -> None:
    """The source holds the message literally, apart from escapes each of which stops something acting."""
    text, escaped = expected_text(message), escape_text(message)
    pieces = REFERENCE.findall(escaped)
    chars = ["\n" if p == "<br />" else html.unescape(p) for p in pieces]
    assert unicodedata.normalize("NFC", "".join(chars)) == text
    marked = [len(p) > 1 and p != "<br />" for p in pieces]
    plain = "".join(chars)
    for i, (char, was_escaped) in enumerate(zip(chars, marked, strict=True)):
        if not was_escaped:
            continue
        reason = (char in "[]{}|<>&"
                  or (char in "'_" and i > 0 and chars[i - 1] == char and not marked[i - 1])
                  or (char == "~" and i > 1 and chars[i - 2:i] == ["~", "~"] and not any(marked[i - 2:i]))
                  or (i == 0 and (char in "*#:;=!" or plain.startswith("----")))
                  or (char == ":" and _scheme_before(plain, i))
                  or (char.isspace() and re.search(r"(ISBN|RFC|PMID)$", plain[:i]) is not None))
        assert reason, f"{char!r} at {i} escaped for nothing in {escaped!r}"


@pytest.fixture(scope="module")
def baseline(wiki: LocalWiki) -> dict[str, Any]:
    """The section with a harmless message: what every other section must look like around its message."""
    return _metadata(_parse(wiki, [preview_wikitext(CONFIG, _draft("X"))]))


def check_batch(wiki: LocalWiki, baseline: dict[str, Any], messages: list[str]) -> None:
    messages = [m for m in messages if expected_text(m)]  # an empty message is refused before it gets here
    sections = [preview_wikitext(CONFIG, _draft(m)) for m in ["X", *messages]]
    # Before the sections, each message as a paragraph of its own: its first character at a line's start.
    lead = "\n\n".join(escape_text(m) for m in messages)
    parsed = _parse(wiki, [lead, *sections])
    paragraphs = re.findall(r"<p>(.*?)\n?</p>", parsed["text"].split("<h2>")[0], re.DOTALL)
    assert len(paragraphs) == len(messages), (messages, parsed["text"].split("<h2>")[0])
    for message, paragraph in zip(messages, paragraphs, strict=True):
        assert _same_text(_shown(f"<bdi>{paragraph}</bdi>"), expected_text(message)), (message, paragraph)
    # Nothing new anywhere on the page: links, templates, categories, images, magic words, sections.
    assert _metadata(parsed) == baseline, messages
    assert len(parsed["sections"]) == len(sections), messages
    site = Wiki("enwiki", wiki.api_url, "en", "Test Wiki")
    for page_html in (parsed["text"], sanitize_wiki_html(parsed["text"], site)):  # as posted, and as previewed
        chunks = _chunks(page_html)
        assert len(chunks) == len(sections)
        around = BDI.sub("<bdi>X</bdi>", chunks[0], count=1)
        for message, chunk in zip(messages, chunks[1:], strict=True):
            assert _same_text(_shown(chunk), expected_text(message)), (message, chunk)
            assert BDI.sub("<bdi>X</bdi>", chunk, count=1) == around, (message, chunk)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(message_text, min_size=1, max_size=12))
@example(messages=["Amailto:[[", "x&mailto:y"])
def test_any_message_renders_as_typed_and_changes_nothing_else(
        wiki: LocalWiki, baseline: dict[str, Any], messages: list[str]) -> None:
    for message in messages:
        check_source(message)
    check_batch(wiki, baseline, messages)


INJECTIONS = [
    "Thanks! {{subst:Welcome}} {{Delete}} {{PAGENAME}}", "Nice work [[Category:Vandals]] [[:Category:X]]",
    "Signed ~~~~ and ~~~ and ~~~~~", "Escape </nowiki> [[Main Page]] <nowiki> {{x}}",
    "= Heading =\n== Heading ==\n=== Sub ===", "__NOTOC__ __NOINDEX__ __FORCETOC__",
    "Cite <ref>[[Foo]]</ref> <references />", "{| class=wikitable\n|-\n| cell || cell\n|}",
    "Visit [http://evil.example x] or http://evil.example/bare or //evil.example or mailto:x@evil.example",
    "<script>alert(1)</script> <span style=\"color:red\">red</span> &lt;b&gt; &amp; ISBN 0123456789 RFC 1234",
    "* list\n# numbered\n: indent\n; term : def\n----\n pre", "''italic'' '''bold''' '''''both''''' ''''four''''",
    "-{zh-hans:x; zh-hant:y}- {{#invoke:X|y}} {{!}} {{=}}",
    # Each of these starts a line where the message stands at one.
    "---- a rule?", "= Heading =", "; term : definition", ": indented", "# numbered", "* bullet", "! header cell",
]


def test_injection_corpus(wiki: LocalWiki, baseline: dict[str, Any]) -> None:
    for message in INJECTIONS:
        check_source(message)
    check_batch(wiki, baseline, INJECTIONS)


def test_realistic_messages_render_as_typed(wiki: LocalWiki, baseline: dict[str, Any]) -> None:
    corpus = message_corpus.messages(1000)
    for message in corpus:
        check_source(message)
    for start in range(0, len(corpus), 125):
        check_batch(wiki, baseline, corpus[start:start + 125])


@pytest.mark.parametrize(("typed", "source"), [
    ("The edit-a-thon was great, don't stop!", "The edit-a-thon was great, don't stop!"),
    ("See Wikipedia:Barnstars; x = y: done", "See Wikipedia:Barnstars; x = y: done"),
    ("ଧନ୍ୟବାଦ! ଆଲୋଚନା:ଜଗନ୍ନାଥ ମନ୍ଦିର", "ଧନ୍ୟବାଦ! ଆଲୋଚନା:ଜଗନ୍ନାଥ ମନ୍ଦିର"),
    ("Read https://or.wikipedia.org/wiki/X", "Read https&#58;//or.wikipedia.org/wiki/X"),
    ("''Great'' work", "'&#39;Great'&#39; work"),
    ("* first", "&#42; first"),
    ("Q&A on [[Talk:X]] {{y}}", "Q&amp;A on &#91;&#91;Talk:X&#93;&#93; &#123;&#123;y&#125;&#125;"),
    ("~~~~ __TOC__", "~~&#126;~ _&#95;TOC_&#95;"),
    ("ISBN 0123456789 and ISBNs", "ISBN&#32;0123456789 and ISBNs"),
    ("line one\nline two", "line one<br />line two"),
])
def test_the_source_reads_as_typed(typed: str, source: str) -> None:
    assert escape_text(typed) == source
