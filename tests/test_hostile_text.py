"""Hostile text through every input: nothing unreadable is stored, and every feed stays well-formed Atom.

The corpus holds what breaks XML or hides from a reader: every C0 and C1 control, noncharacters, lone
surrogates, bidi embeddings, overrides and isolates, a byte order mark, and CRLF line breaks. It goes
through the nomination form, the edit before approval, the rejection reason, the bulk list, the
participant list, the organizer form, the consent and opt-out forms, the command line and the API; then
every text column of every table is searched, and the feeds are read by a strict XML parser and by
feedparser. Rows stored with such characters before Kudos removed them must not break the feeds either.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import unicodedata
from collections.abc import Iterator
from typing import Any

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree
from sqlalchemy import JSON, String, Text, select, update

import kudos.web
from kudos import plaintext
from kudos.db import Database
from kudos.models import Base, Campaign, Consent, Delivery, DeliveryStatus, Nomination, NominationStatus, Person
from kudos.outbox import WALL
from kudos.web.forms import Form
from tests.support import make_config
from tests.webtools import sign_in_as, web_app
from tests.wiki_people import create_accounts

C0 = "".join(chr(c) for c in range(0x20))  # tab and LF included: they must survive, CR must become LF
C1 = "\x7f" + "".join(chr(c) for c in range(0x80, 0xA0))
NONCHARACTERS = "\ufffe\uffff\ufdd0\ufdef\U0001fffe\U0010ffff"
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HOSTILE = C0 + C1 + NONCHARACTERS + BIDI_CONTROLS + "\ufeff"
BREAKS = "\n\x0b\x0c\r\x85"  # line breaks for Unicode: LF, vertical tab, form feed, CR, next line
KEPT = "\t\n\n\n\n\n"  # what HOSTILE leaves in a text of several lines: the tab, and each break as an LF
INLINE = "".join(ch for ch in HOSTILE if ch not in BREAKS + "\t")  # for one line of a list
SURROGATES = "\ud800\udfff"  # only the command line can deliver these (argv's surrogateescape)
ODIA = "ଧନ୍ୟବାଦ କ୍\u200dଷ ଓଡ଼ିଆ\u200c ଭାଷା"  # ZWJ and ZWNJ are part of how Odia is written: they stay

PEOPLE = ("Hostile Nina", "Hostile Ravi", "Hostile Rita", "Hostile Sita", "Hostile Olga")


def unreadable(text: str) -> list[str]:
    """The characters no feed may carry and no reader can see, written independently of the code under test."""
    found = []
    for ch in text:
        category = unicodedata.category(ch)
        if ((category == "Cc" and ch not in "\t\n") or category == "Cs"
                or (0xFDD0 <= ord(ch) <= 0xFDEF) or (ord(ch) & 0xFFFE) == 0xFFFE
                or ch in BIDI_CONTROLS or ch == "\ufeff"):
            found.append(f"U+{ord(ch):04X}")
    return found


def strict_xml(body: bytes) -> Any:
    return etree.fromstring(body, etree.XMLParser(recover=False, resolve_entities=False))


@pytest.fixture(scope="module")
def wiki(local_wiki) -> Any:  # type: ignore[no-untyped-def]
    create_accounts(local_wiki, list(PEOPLE))
    local_wiki.edit("Hostile Page", "An article about rivers.", user="Hostile Ravi")
    return local_wiki


@pytest.fixture
def app(database: Database, wiki) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    config = make_config(database_url=database.url, admins=["Ada"], ratelimit={"nominations_per_day": 1000},
                         wikis={"testwiki": {"api_url": wiki.api_url, "language": "en", "name": "Test Wiki"}})
    yield web_app(database, config)


def _as(app: Flask, username: str) -> FlaskClient:
    return sign_in_as(app.test_client(), username)


def _nominate(client: FlaskClient, recipient: str, message: str, link: str = "") -> int:
    response = client.post("/nominate/confirm", data={"campaign": "ws", "recipient": recipient, "award": "barnstar",
                                                      "message": message, "link": link})
    return response.status_code


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
        if value.startswith(("{", "[")):  # audit details: JSON, whose escapes would hide a raw control
            try:
                yield from _strings(json.loads(value))
            except ValueError:
                pass
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _text_columns(database: Database) -> Iterator[tuple[str, str, str]]:
    """Every text in every text and JSON column of every table."""
    with database.session() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, (String, Text, JSON)):
                    for value in session.scalars(select(column)):
                        for text in _strings(value):
                            yield table.name, column.name, text


def _feeds(client: FlaskClient) -> dict[str, bytes]:
    feeds = {}
    for path in ("/feed.atom", "/campaigns/ws/feed.atom"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:2000])
        feeds[path] = response.data
    return feeds


def _assert_well_formed(feeds: dict[str, bytes]) -> list[Any]:
    parsed = []
    for path, body in feeds.items():
        strict_xml(body)
        feed = feedparser.parse(body)
        assert not feed.bozo, (path, feed.bozo_exception)
        parsed.append(feed)
    return parsed


def _deliver_wall(database: Database) -> None:
    with database.transaction() as session:
        session.execute(update(Delivery).where(Delivery.channel == WALL).values(status=DeliveryStatus.done))


def test_hostile_text_is_cleaned_at_every_input_and_every_feed_parses(app: Flask, database: Database) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(args=["campaign", "create", "--slug", "ws", "--name", f"Work{HOSTILE}{SURROGATES}shop",
                                  "--wiki", "testwiki", "--organizer", f"Hostile{HOSTILE} Olga",
                                  "--actor", f"Kudos{HOSTILE} maintainer"])
    assert created.exit_code == 0, created.output
    nina, olga = _as(app, "Hostile Nina"), _as(app, "Hostile Olga")

    # The nomination form: names, message and link with every hostile character; Odia text keeps ZWJ/ZWNJ.
    message = f"Thanks{HOSTILE} for\r\nthe rivers {ODIA}"
    assert _nominate(nina, f"Hostile{HOSTILE} Ravi", message, f"Hostile{BIDI_CONTROLS} Page") == 302
    assert _nominate(nina, "Hostile Rita", "Wrote about the temples\rof Puri.") == 302
    assert _nominate(nina, "Hostile Sita", "x" * 5000) == 400  # very long: refused with the length sentence
    with database.session() as session:
        ravi, rita = (session.scalar(select(Nomination).where(Nomination.recipient == name))
                      for name in ("Hostile Ravi", "Hostile Rita"))
        assert ravi is not None and rita is not None
        ravi_id, rita_id = ravi.id, rita.id
        assert ravi.message == f"Thanks{KEPT} for\nthe rivers {ODIA}" and ravi.link == "Hostile Page"
        assert rita.message == "Wrote about the temples\nof Puri."

    # Edit before approval, and a rejection reason.
    edited = f"Thanks{HOSTILE} for\r\nthe rivers and the maps {ODIA}"
    assert olga.post(f"/review/{ravi_id}/approve", data={"message": edited}).status_code == 302
    assert olga.post(f"/review/{rita_id}/reject", data={"reason": f"Not{HOSTILE} this event."}).status_code == 302
    with database.session() as session:
        approved, rejected = session.get(Nomination, ravi_id), session.get(Nomination, rita_id)
        assert approved is not None and rejected is not None
        assert approved.status == NominationStatus.approved
        assert approved.message == f"Thanks{KEPT} for\nthe rivers and the maps {ODIA}"
        assert rejected.reason == f"Not{KEPT} this event."

    # The bulk list, the participant list, and the organizer form (admins appoint organizers).
    bulk = olga.post("/campaigns/ws/bulk", data={
        "names": f"Hostile{INLINE} Sita\r\nHostile Rita{BIDI_CONTROLS}", "award": "barnstar", "approve": "y",
        "message": f"Thank you{INLINE} for editing all day."})
    assert bulk.status_code == 200, bulk.get_data(as_text=True)
    assert olga.post("/campaigns/ws/participants", data={"source": "paste", "names": f"Pat{HOSTILE}\nQuinn"}
                     ).status_code == 302
    assert _as(app, "Ada").post("/campaigns/ws/organizers", data={"username": f"Oscar{HOSTILE}"}).status_code == 302

    # Consent and opt-out: a choice with invisible characters is the choice.
    for name in ("Hostile Ravi", "Hostile Sita"):
        assert _as(app, name).post("/me/consent", data={"choice": f"granted{HOSTILE}"}).status_code == 302
    assert _as(app, "Hostile Rita").post("/me/opt-out", data={"opted_out": f"no{HOSTILE}"}).status_code == 302
    with database.session() as session:
        assert session.scalar(select(Person.consent).where(Person.username == "Hostile Sita")) == Consent.granted

    # The API's query parameters.
    api = nina.get("/api/v1/shoutouts", query_string={"wiki": f"testwiki{HOSTILE}", "campaign": HOSTILE,
                                                       "before": HOSTILE, "limit": HOSTILE})
    assert api.status_code == 400 and api.is_json

    found = [(table, column, value, unreadable(value)) for table, column, value in _text_columns(database)]
    assert [f for f in found if f[3]] == []
    stored = {value for _table, _column, value, _bad in found}
    assert {"Work shop", "Kudos maintainer", "Hostile Olga", "Hostile Sita", "Pat", "Oscar",
            "Thank you for editing all day."} <= stored

    _deliver_wall(database)
    entries = _assert_well_formed(_feeds(nina))[0].entries
    summaries = {e.summary for e in entries}
    assert f"Thanks{KEPT} for\nthe rivers and the maps {ODIA}" in summaries
    assert "Thank you for editing all day." in summaries


def test_rows_stored_with_control_characters_do_not_break_the_feeds(app: Flask, database: Database) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["campaign", "create", "--slug", "ws", "--name", "Workshop", "--wiki", "testwiki",
                               "--organizer", "Hostile Olga"]).exit_code == 0
    nina, olga = _as(app, "Hostile Nina"), _as(app, "Hostile Olga")
    assert _nominate(nina, "Hostile Ravi", "Mapped every river of the district.") == 302
    assert _nominate(nina, "Hostile Rita", "Photographed every temple of the town.") == 302
    with database.session() as session:
        pending = [str(i) for i in session.scalars(select(Nomination.id))]
    assert olga.post("/review/approve-selected", data={"ids": pending}).status_code == 302
    assert _as(app, "Hostile Ravi").post("/me/consent", data={"choice": "granted"}).status_code == 302
    with database.transaction() as session:  # what an older Kudos stored: whatever the browser sent
        session.execute(update(Nomination).values(message=f"Old{HOSTILE} message {ODIA}",
                                                  nominator=f"Hostile{HOSTILE} Nina"))
        session.execute(update(Campaign).values(name=f"Old{HOSTILE} campaign"))
        # Markup in a name is text, escaped once.
        session.execute(update(Person).where(Person.username == "Hostile Ravi").values(username="R&D <Ravi>"))
        session.execute(update(Nomination).where(Nomination.recipient == "Hostile Ravi").values(recipient="R&D <Ravi>"))
    _deliver_wall(database)
    client = app.test_client()
    main, campaign = _assert_well_formed(_feeds(client))
    assert len(main.entries) == len(campaign.entries) == 2
    assert f"Old{KEPT} message {ODIA}" in {e.summary for e in main.entries}
    assert campaign.feed.title.endswith(": Old campaign")  # a title is one line
    assert "R&D <Ravi> was thanked" in {e.title for e in main.entries}
    assert b"R&amp;D &lt;Ravi&gt;" in _feeds(client)["/feed.atom"]
    # The JSON API and the wall carry the same rows without breaking.
    assert client.get("/api/v1/shoutouts").status_code == 200
    assert client.get("/").status_code == 200


JOINERS_AND_MARKS = "\u200c\u200d\u200e\u200f\u061c"


def _seen(text: str) -> list[str]:
    """What a reader sees of a text: letters, marks, digits, punctuation, symbols, spaces, and the joiners
    and direction marks that change how the letters around them are shown."""
    return [ch for ch in text if unicodedata.category(ch)[0] in "LMNPS" or unicodedata.category(ch) == "Zs"
            or ch in JOINERS_AND_MARKS]


ANY_CHARACTER = st.text(st.characters(codec=None, categories=None), max_size=60) | st.text(
    st.sampled_from(HOSTILE + SURROGATES + ODIA + "\r\n\t \u2028\u2029 ab"), max_size=60)


@settings(max_examples=300, deadline=None, database=None)
@given(text=ANY_CHARACTER)
@example(text="\xa0")
@example(text="\u3000a\xa0\tb\xa0")
def test_cleaned_text_is_xml_keeps_what_readers_see_and_has_lf_breaks(text: str) -> None:
    cleaned = plaintext.clean(text)
    assert unreadable(cleaned) == [] and "\r" not in cleaned
    element = etree.Element("summary")
    element.text = cleaned  # lxml refuses what XML forbids
    assert strict_xml(etree.tostring(element, encoding="utf-8")).text in (cleaned, None)
    assert _seen(cleaned) == _seen(text)
    assert plaintext.clean(cleaned) == cleaned
    one_line = plaintext.line(text)
    assert not {"\n", "\t"} & set(one_line) and one_line == one_line.strip() and "  " not in one_line
    assert plaintext.is_clean_line(one_line)
    # Runs of spaces, tabs and breaks are one space, and white space of any kind (a no-break space's too) goes
    # from both ends: everything else a reader sees is kept.
    assert _seen(one_line.replace(" ", "")) == [ch for ch in _seen(cleaned.strip()) if ch != " "]


def test_every_form_cleans_its_fields() -> None:
    # The rule holds at every form only if every form is a kudos.web.forms.Form.
    for module in pkgutil.iter_modules(kudos.web.__path__):
        importlib.import_module(f"kudos.web.{module.name}")
    ours = [form for form in _subclasses(FlaskForm) if form.__module__.startswith("kudos.")]
    assert len(ours) >= 10
    assert [form.__qualname__ for form in ours if not issubclass(form, Form)] == []


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)
