"""After an event: a pasted participant list becomes nominations, with problems listed per line."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kudos import bulk, nominations, people
from kudos.db import Database
from kudos.models import AuditEvent, Base, Consent, Delivery, DeliveryStatus, Nomination, NominationStatus
from tests.factories import make_campaign, make_nomination
from tests.webtools import count_queries, sign_in_as, web_app, web_config
from tests.wiki_people import create_accounts

OLGA = "Olga Organizer"
# Sending a list asks the campaign's wiki whether the organizer is blocked there.
pytestmark = pytest.mark.usefixtures("local_test_wikis")
MESSAGE = "Thank you for taking part in the workshop and editing all day."


class FakeWiki:
    """A `list=users` stand-in that records each batch it was asked about."""

    def __init__(self, users: Sequence[str], blocked: Sequence[str] = ()) -> None:
        self.users = set(users)
        self.blocked = set(blocked)
        self.batches: list[list[str]] = []

    def __call__(self, names: Sequence[str]) -> dict[str, bulk.WikiUser]:
        self.batches.append(list(names))
        return {n: bulk.WikiUser(exists=n in self.users, blocked=n in self.blocked, invalid="<" in n) for n in names}


def _client(database: Database, wiki: FakeWiki, who: str = OLGA) -> FlaskClient:
    app = web_app(database)
    app.extensions["kudos.user_lookup"] = lambda _wiki_id: wiki
    return sign_in_as(app.test_client(), who)


def _campaign(database: Database) -> None:
    with database.transaction() as session:
        make_campaign(session, web_config(database))


def _nominations(database: Database) -> list[Nomination]:
    with database.session() as session:
        return list(session.scalars(select(Nomination).order_by(Nomination.id)))


def test_parse_accepts_names_csv_prefixes_and_a_header() -> None:
    lines = bulk.parse("username,message\nalice_b\n\nUser:Bob\n[[User:Carol|Carol]]\n"
                       'Dev, "Thanks, Dev, for the photos."\n')
    assert [(line.number, line.username, line.message) for line in lines] == [
        (2, "Alice b", None), (4, "Bob", None), (5, "Carol", None), (6, "Dev", "Thanks, Dev, for the photos.")]


def test_valid_names_become_pending_nominations(database: Database) -> None:
    _campaign(database)
    wiki = FakeWiki(["Alice", "Bob"])
    response = _client(database, wiki).post("/campaigns/workshop/bulk", data={
        "names": "Alice\nbob\n", "message": MESSAGE, "award": "teamwork"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 nominations created; they wait in the" in page
    found = _nominations(database)
    assert [(n.recipient, n.nominator, n.status, n.award, n.message) for n in found] == [
        ("Alice", OLGA, NominationStatus.pending, "teamwork", MESSAGE),
        ("Bob", OLGA, NominationStatus.pending, "teamwork", MESSAGE)]


def test_problems_are_listed_per_line_and_the_rest_go_through(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        people.set_opt_out(session, "Otto", True)
        make_nomination(session, config, campaign, nominator=OLGA, recipient="Penny")
    wiki = FakeWiki(["Alice", "Bob", "Otto", "Penny", OLGA, "Blocky"], blocked=["Blocky"])
    names = "\n".join(["Alice", "Ghost", "Blocky", "Otto", "Penny", OLGA, "alice", "Bob,Short", "Bad<name>",
                       "Bob,Bob ran the registration desk all weekend."])
    response = _client(database, wiki).post("/campaigns/workshop/bulk", data={
        "names": names, "message": MESSAGE, "award": "barnstar"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    expected = {
        2: "There is no user Ghost on this wiki.",
        3: "Blocky is blocked on this wiki.",
        4: "Otto has chosen not to receive awards through Kudos.",
        5: "You already have a pending nomination of Penny in this campaign.",
        6: "You cannot nominate yourself.",
        7: "Alice is already on line 1.",
        8: "The message is too short",
        9: "is not a valid user name.",
    }
    for number, sentence in expected.items():
        assert f"Line {number} (" in page and sentence in page, number
    assert "Line 1 (" not in page and "Line 10 (" not in page
    # The problem lines stay in the box to be fixed; the created ones are gone from it.
    box = page.split('id="names"')[1].split("</textarea>")[0]
    assert "Ghost" in box and "Bob ran the registration" not in box
    created = {n.recipient: n.message for n in _nominations(database) if n.nominator == OLGA and n.recipient != "Penny"}
    assert created == {"Alice": MESSAGE, "Bob": "Bob ran the registration desk all weekend."}


def test_approve_at_once_writes_deliveries_and_audits_each(database: Database) -> None:
    config = web_config(database, channels={"mastodon": {"type": "mastodon"}})
    with database.transaction() as session:
        make_campaign(session, config, channels=("mastodon",))
        people.set_consent(session, "Alice", Consent.granted)
    wiki = FakeWiki(["Alice", "Bob"])
    response = _client(database, wiki).post("/campaigns/workshop/bulk", data={
        "names": "Alice\nBob", "message": MESSAGE, "award": "barnstar", "approve": "y"})
    assert "2 nominations created and approved: the barnstars will be posted" in response.get_data(as_text=True)
    with database.session() as session:
        assert set(session.scalars(select(Nomination.status))) == {NominationStatus.approved}
        statuses = {recipient: status for recipient, status in session.execute(
            select(Nomination.recipient, Delivery.status).join(Delivery.nomination)
            .where(Delivery.channel == "mastodon"))}
        assert statuses == {"Alice": DeliveryStatus.pending, "Bob": DeliveryStatus.awaiting_consent}
        assert session.scalar(select(func.count()).select_from(Delivery)) == 6
        approvals = session.scalar(select(func.count()).where(AuditEvent.action == "nomination.approved"))
        assert approvals == 2


def test_nothing_valid_is_a_400_and_nothing_is_created(database: Database) -> None:
    _campaign(database)
    response = _client(database, FakeWiki([])).post("/campaigns/workshop/bulk", data={
        "names": "Ghost", "message": MESSAGE, "award": "barnstar"})
    assert response.status_code == 400
    assert "No nomination was created." in response.get_data(as_text=True)
    assert _nominations(database) == []


@pytest.mark.parametrize("names, message, sentence", [
    ("", MESSAGE, "Paste at least one user name"),
    ("\n\n", MESSAGE, "Paste at least one user name"),
    ("Alice", MESSAGE, "Not a valid choice"),  # award not in the catalogue
])
def test_form_errors_redisplay_what_was_typed(database: Database, names: str, message: str, sentence: str) -> None:
    _campaign(database)
    award = "no-such-award" if sentence == "Not a valid choice" else "barnstar"
    response = _client(database, FakeWiki(["Alice"])).post("/campaigns/workshop/bulk", data={
        "names": names, "message": message, "award": award})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert sentence in page and MESSAGE in page


def test_only_organizers_may_bulk_nominate(database: Database) -> None:
    _campaign(database)
    wiki = FakeWiki(["Alice"])
    for who in ("Nina", "Oscar"):
        response = _client(database, wiki, who).post("/campaigns/workshop/bulk", data={
            "names": "Alice", "message": MESSAGE, "award": "barnstar"})
        assert response.status_code == 403
    assert _nominations(database) == [] and wiki.batches == []


def test_five_hundred_names_in_batches_of_fifty_in_seconds(database: Database) -> None:
    config = web_config(database)
    names = [f"Participant {i:03d}" for i in range(500)]
    with database.transaction() as session:
        make_campaign(session, config)
        for name in names[::50]:
            people.set_consent(session, name, Consent.granted)
    wiki = FakeWiki(names)
    client = _client(database, wiki)
    started = time.perf_counter()
    with count_queries(database) as queries:
        response = client.post("/campaigns/workshop/bulk", data={
            "names": "\n".join(names), "message": MESSAGE, "award": "barnstar", "approve": "y"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    assert "500 nominations created and approved" in response.get_data(as_text=True)
    assert [len(batch) for batch in wiki.batches] == [50] * 10
    selects = [q for q in queries if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 10, selects  # no query per name
    assert elapsed < 5, f"500 names took {elapsed:.1f} s"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Nomination)) == 500
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1000


@pytest.fixture(scope="module")
def wiki(local_wiki):  # type: ignore[no-untyped-def]
    create_accounts(local_wiki, ["Bulk Alice", "Bulk Blocky"])
    local_wiki.block("Bulk Blocky")
    return local_wiki


def test_names_are_checked_against_the_real_wiki_50_at_a_time(database: Database, wiki) -> None:  # type: ignore[no-untyped-def]
    config = web_config(database, wikis={"testwiki": {"api_url": wiki.api_url, "language": "en", "name": "Test"}})
    with database.transaction() as session:
        make_campaign(session, config, slug="ws", wiki="testwiki", organizers=("Olga",))
    app = web_app(database, config)
    app.extensions.pop("kudos.user_lookup", None)
    client = app.test_client()
    sign_in_as(client, "Olga")
    ghosts = [f"Bulk Ghost {i}" for i in range(60)]
    before = wiki.request_count()
    page = client.post("/campaigns/ws/bulk", data={
        "names": "\n".join(["Bulk Alice", "Bulk Blocky", "Bad<name", *ghosts]), "award": "barnstar",
        "message": "Thanks for editing all day at the workshop."}).get_data(as_text=True)
    # Is Olga blocked there? Then 63 names: one list=users request per 50.
    assert wiki.request_count() - before == 1 + 2
    assert "Bulk Blocky" in page and "blocked" in page
    assert "Bulk Ghost 59" in page and "Bad&lt;name" in page
    with database.session() as session:
        assert list(session.scalars(select(Nomination.recipient))) == ["Bulk Alice"]


def _rows(database: Database) -> dict[str, int]:
    with database.session() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables}


def test_a_failure_part_way_through_a_list_leaves_nothing_of_it(database: Database,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """One transaction for the whole list (README): the database failing at the third name of five keeps no
    nomination, delivery, audit row, account or allowance of the first two."""
    _campaign(database)
    names = ["Alice", "Bob", "Carol", "Dev", "Eve"]
    client = _client(database, FakeWiki(names))
    before = _rows(database)
    real, calls = nominations.approve_on_submission, []

    def approve_then_fail(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(nominations, "approve_on_submission", approve_then_fail)
    response = client.post("/campaigns/workshop/bulk", data={
        "names": "\n".join(names), "message": MESSAGE, "award": "barnstar", "approve": "y"})
    assert response.status_code == 500 and len(calls) == 3
    assert _rows(database) == before
