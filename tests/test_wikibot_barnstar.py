"""The barnstar's wikitext and the {{bots}} rules, without a wiki (the real parser: test_barnstar_escaping and
test_wikibot_delivery)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kudos import barnstar, campaigns, consent_links, i18n, nominations
from kudos.config import PROJECT_ROOT
from kudos.db import Database
from kudos.i18n import Catalog, translations_config
from kudos.models import MemberRole
from tests.factories import make_campaign, make_nomination
from tests.support import make_config
from wikibot.exclusion import exclusion_reason

# What would be markup wherever it stood: brackets, braces, pipes, tags and entities, runs of quotes,
# tildes and underscores, and a line break.
DANGEROUS = re.compile(r"[\[\]{}|<>]|&(?!#[0-9]+;|lt;|gt;|amp;)|''|~~~|__|\n|https?://")


@given(st.text(max_size=300))
def test_escaped_text_holds_no_markup(message: str) -> None:
    escaped = barnstar.escape_text(message)
    assert not DANGEROUS.search(escaped.replace("<br />", "")), escaped


def test_escape_keeps_the_words_and_turns_newlines_into_breaks() -> None:
    escaped = barnstar.escape_text("Thank you!\n\n\n\nSee [[Category:X]] and </nowiki> ~~~~")
    assert escaped.startswith("Thank you!<br /><br />See &#91;&#91;Category:X&#93;&#93;")
    assert "&lt;/nowiki&gt;" in escaped and "~~&#126;~" in escaped
    assert barnstar.escape_text("ଧନ୍ୟବାଦ שלום e\u0301") == "ଧନ୍ୟବାଦ שלום e\u0301"


def test_rendered_section(database: Database) -> None:
    config = make_config(tool_url="https://kudos.toolforge.org")
    with database.transaction() as session:
        campaign = make_campaign(session, config, wiki="enwiki")
        nomination = make_nomination(session, config, campaign, message="Great {{work}}")
        nominations.approve(session, config, nomination, "Olga Organizer")
        session.flush()
        delivery = nomination.deliveries[0]
        section = barnstar.render(config, delivery)
    assert section.title == "The Original Barnstar for you"
    assert "[[File:Original Barnstar Hires.png|" in section.text
    assert "Great &#123;&#123;work&#125;&#125;" in section.text
    assert "Nominated by [[User:Nina|Nina]] · approved by [[User:Olga Organizer|Olga Organizer]]" in section.text
    assert consent_links.consent_url(config, nomination) in section.text
    assert section.text.count("~~~~") == 1
    assert section.text.endswith(f"<!-- kudos:delivery:{delivery.key} -->")
    assert f"[[toolforge:kudos/shoutouts/{nomination.id}|" in section.summary


def test_a_trusted_nominators_approval_is_credited_to_trust(database: Database) -> None:
    config = make_config()
    with database.transaction() as session:
        campaign = make_campaign(session, config, wiki="enwiki")
        campaigns.add_member(session, campaign, "Nina", MemberRole.trusted, "Admin")
        nomination = nominations.auto_approve(session, config, make_nomination(session, config, campaign))
        section = barnstar.render(config, nomination.deliveries[0])
    assert "approved on submission (trusted nominator)" in section.text
    assert "trusted:" not in section.text


@pytest.mark.parametrize(("language", "heading", "credits"), [
    ("or", "ଆପଣଙ୍କ ପାଇଁ The Original Barnstar", "ମନୋନୟନ: [[User:Nina|Nina]] · ଅନୁମୋଦନ: [[User:Olga|Olga]]"),
    ("he", "The Original Barnstar for you", "Nominated by [[User:Nina|Nina]] · approved by [[User:Olga|Olga]]"),
    ("de", "The Original Barnstar for you", "Nominated by [[User:Nina|Nina]] · approved by [[User:Olga|Olga]]"),
])
def test_the_section_is_in_the_wikis_content_language_or_english(language: str, heading: str, credits: str) -> None:
    # Hebrew has a partial translation without these messages, German none at all: both fall back to English.
    wikis = {"xwiki": {"api_url": "https://x.example/w/api.php", "language": language, "name": "X"}}
    config = make_config(wikis=wikis, tool_url="https://kudos.toolforge.org")
    nomination = SimpleNamespace(id=7, wiki="xwiki", award="barnstar", message="Thanks!", nominator="Nina",
                                 recipient="Ravi", reviewer="Olga")
    section = barnstar.render(config, SimpleNamespace(nomination=nomination, key="k"))
    assert section.title == heading
    assert credits in section.text
    assert section.summary.startswith("Kudos: ")
    assert ("ମନୋନୀତ" in section.summary) == (language == "or")


@pytest.mark.parametrize("translation", ["{{subst:Evil}} $1 [[Category:X]]", "''$1'' ~~~~ __NOTOC__"])
def test_a_translation_cannot_add_wiki_markup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              translation: str) -> None:
    folder = tmp_path / "i18n"
    folder.mkdir()
    for language in ("en", "qqq"):
        (folder / f"{language}.json").write_text((PROJECT_ROOT / "i18n" / f"{language}.json").read_text())
    data = json.loads((PROJECT_ROOT / "i18n" / "or.json").read_text())
    (folder / "or.json").write_text(json.dumps({**data, "kudos-barnstar-heading": translation}))
    monkeypatch.setattr(i18n, "catalog", lambda directory=folder: Catalog(translations_config(folder)))
    config = make_config(tool_url="https://kudos.toolforge.org")
    nomination = SimpleNamespace(id=7, wiki="orwiki", award="barnstar", message="x", nominator="Nina",
                                 recipient="Ravi", reviewer="Olga")
    title = barnstar.render(config, SimpleNamespace(nomination=nomination, key="k")).title
    assert not re.search(r"\{\{|\[\[|~~~|__|''", title), title
    assert "The Original Barnstar" in title


@pytest.mark.parametrize(("text", "refused"), [
    ("Hello", False),
    ("{{nobots}}", True),
    ("{{bots}}", False),
    ("{{bots|optout=all}}", True),
    ("{{bots|optout=kudos,newsletter}}", True),
    ("{{bots|optout=newsletter}}", False),
    ("{{bots|deny=all}}", True),
    ("{{bots|deny=KudosBot}}", True),
    ("{{bots|deny=OtherBot}}", False),
    ("{{bots|deny=none}}", False),
    ("{{bots|allow=OtherBot}}", True),
    ("{{bots|allow=KudosBot}}", False),
    ("{{bots|allow=all}}", False),
    ("{{Bots|allow=none}}", True),
    ("<div>{{nobots}}</div>", True),
    ("{{NOBOTS}}", True),
    ("{{Template:Nobots}}", True),
    ("{{template:bots|optout=KUDOS}}", True),
    ("{| class=wikitable\n| {{nobots}}\n|}", True),
    ("== Old ==\n[[User:KudosBot|KudosBot]] {{tl|nobots}}", False),
])
def test_bots_templates(text: str, refused: bool) -> None:
    assert (exclusion_reason(text, "KudosBot") is not None) == refused
