"""Export and erasure touch exactly one person's rows, whatever the names around them.

Populations are built through the real core functions (nominate, review, consent, appoint, the delivery
job's claims), by people whose names are prefixes, substrings and case variants of each other. For a
person A drawn from the same names, the rows about A are worked out here from the stored structure alone
(`_about`): then `/me/data.json` must hold exactly A's audit rows, and `/me/delete` must leave every other
row of every table byte-identical and A's name nowhere: not in a table, the wall, the feeds or the API.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import feedparser
import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kudos import accounts, bulk, campaigns, claims, nominations, participants, people
from kudos.channels import Posted, Skip
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.errors import DomainError
from kudos.models import (
    Base,
    Campaign,
    CampaignKind,
    Consent,
    ContribCursor,
    ContribDay,
    MemberRole,
    Nomination,
    ParticipantSource,
)
from kudos.names import canonical_username
from kudos.suggestions import decisions, refresh
from kudos.suggestions.refresh import figures
from kudos.suggestions.wiki import Account, Edit
from kudos.web import create_app
from tests.privacy_support import Snapshot, empty, naming, snapshot
from tests.support import make_config

# "e" is E, "eE" is EE, "great" is Great, "Great_ness" is "Great ness", "ananya p" is "Ananya P".
NAMES = ["E", "e", "Ee", "EE", "eE", "Great", "great", "Greatness", "Great ness", "Great_ness", "Ana", "ana",
         "Ananya", "Ananya P", "Ananya_P", "ananya p", "Ana Ananya", "ଅନନ୍ୟା", "ଅନନ୍ୟା ପି", "ଅ"]
CHANNELS = ("talkpage", "mastodon", "wall")
JOB = "Kudos delivery job"
TITLE = json.loads((Path(__file__).parent.parent / "i18n" / "en.json").read_text())["kudos-shoutout-title"]

name = st.sampled_from(NAMES)
words = st.builds(lambda a, b, c: f"{a} work all round, {b}! Thanks from {c}.", name, name, name)
index = st.integers(0, 30)
nominate = st.tuples(st.just("nominate"), name, name, words, index)
step = st.one_of(
    nominate,
    st.tuples(st.just("approve"), index, name, st.none() | words),
    st.tuples(st.just("reject"), index, name, words),
    st.tuples(st.just("withdraw"), index),
    st.tuples(st.just("consent"), name, st.sampled_from([Consent.granted, Consent.granted, Consent.refused])),
    st.tuples(st.just("opt_out"), name, st.booleans()),
    st.tuples(st.just("appoint"), index, name, name, st.sampled_from(list(MemberRole))),
    st.tuples(st.just("participants"), index, st.lists(name, min_size=1, max_size=3), name),
    st.tuples(st.just("hide"), index, name, name),
    st.tuples(st.just("ids"), name, st.integers(1, 2)),
    st.tuples(st.just("contribs"), name),
    st.tuples(st.just("deliver"), st.booleans()),
    st.tuples(st.just("approve"), index, name, st.none()),
    st.tuples(st.just("suggest"), index, st.lists(name, min_size=1, max_size=3), name),
    st.tuples(st.just("snooze"), index, name, name),
    st.tuples(st.just("set_aside"), index, name, name),
    st.tuples(st.just("restore"), index, name, name),
    st.tuples(st.just("thank_suggested"), index, name, name, words),
)


def _nominate(session: Any, config: Config, campaign: Any, nominator: str, recipient: str, message: str) -> None:
    nomination = nominations.nominate(session, config, campaign=campaign, nominator=nominator, recipient=recipient,
                                      award="barnstar", message=message, link=f"User:{canonical_username(recipient)}")
    if nomination.nominator in campaign.usernames(MemberRole.trusted):
        nominations.auto_approve(session, config, nomination)


def _deliver(database: Database, skip_talk_pages: bool) -> None:
    """What the delivery job records: talk pages (posted, or skipped with the wiki's reason), posts, the wall."""
    policy = claims.RetryPolicy()
    for delivery in claims.claim(database, "w1", CHANNELS[:2], 100, 60):
        title = f"User_talk:{quote(delivery.nomination.recipient.replace(' ', '_'))}"
        outcome = (Skip(f"The user {delivery.nomination.recipient} does not exist on this wiki.")
                   if skip_talk_pages and delivery.channel == "talkpage"
                   else Posted(str(delivery.id), f"https://or.wikipedia.org/w/index.php?title={title}&oldid=1"))
        claims.record(database, "w1", delivery.id, outcome, policy)
    claims.settle_wall(database)


def _build(database: Database, config: Config, steps: list[tuple[Any, ...]]) -> None:
    with database.transaction() as session:
        kinds = (CampaignKind.event, CampaignKind.workshop)
        for number, (creator, organizer) in enumerate((("Great", "Ana"), ("Admin", "E"))):
            campaigns.create(session, config, slug=f"c{number}", name=f"Campaign {number}", wiki="orwiki",
                             actor=creator, kind=kinds[number], organizers=[organizer], channels=["mastodon"],
                             description=f"{organizer} work all round with Great and E.",
                             starts=utcnow() - timedelta(days=1), ends=utcnow() + timedelta(days=9))
    for kind, *args in steps:
        try:
            if kind == "deliver":
                _deliver(database, *args)
                continue
            with database.transaction() as session:
                _STEPS[kind](session, config, *args)
        except DomainError:
            pass


def _pick(session: Any, model: Any, number: int) -> Any:
    rows = session.query(model).order_by(model.id).all()
    if not rows:
        raise DomainError("nothing to pick")
    return rows[number % len(rows)]


def _campaign(session: Any, number: int) -> Any:
    return _pick(session, Campaign, number)


_STEPS: dict[str, Callable[..., Any]] = {
    "nominate": lambda s, c, nominator, recipient, message, n: _nominate(
        s, c, _campaign(s, n), nominator, recipient, message),
    "approve": lambda s, c, n, reviewer, message: nominations.approve(
        s, c, _pick(s, Nomination, n), reviewer, message=message),
    "reject": lambda s, c, n, reviewer, reason: nominations.reject(s, _pick(s, Nomination, n), reviewer, reason),
    "withdraw": lambda s, c, n: nominations.withdraw(s, _pick(s, Nomination, n), _pick(s, Nomination, n).nominator),
    "consent": lambda s, c, person, answer: people.set_consent(s, person, answer),
    "opt_out": lambda s, c, person, out: people.set_opt_out(s, person, out),
    "appoint": lambda s, c, n, username, actor, role: campaigns.add_member(s, _campaign(s, n), username, role, actor),
    "participants": lambda s, c, n, names, actor: participants.add(
        s, _campaign(s, n), participants.parse_paste("\n".join(names)).names, ParticipantSource.paste, actor),
    "hide": lambda s, c, n, username, actor: participants.set_hidden(s, _campaign(s, n), username, True, actor),
    # Each person keeps their own account ids; `wiki` 1 or 2 records the same account on a second wiki.
    "ids": lambda s, c, person, wiki: accounts.remember_ids(
        s, person, ("orwiki", "enwiki")[wiki - 1], accounts.Ids(NAMES.index(_first(person)) + 100 * wiki,
                                                                NAMES.index(_first(person)) + 1000), "Nina"),
    "contribs": lambda s, c, person: _contribs(s, canonical_username(person)),
    "suggest": lambda s, c, n, names, other: _suggest(s, _campaign(s, n), names, other),
    "snooze": lambda s, c, n, person, actor: decisions.snooze(s, _campaign(s, n), _user_id(person), actor, utcnow()),
    "set_aside": lambda s, c, n, person, actor: decisions.dismiss(s, _campaign(s, n), _user_id(person), actor,
                                                                  utcnow()),
    "restore": lambda s, c, n, person, actor: decisions.restore(s, _campaign(s, n), _user_id(person), actor),
    "thank_suggested": lambda s, c, n, person, actor, message: decisions.thank_several(
        s, c, campaign=_campaign(s, n), organizer=actor, picks=[(_user_id(person), message)], award="barnstar",
        approve=False, lookup=lambda names: {x: bulk.WikiUser(exists=True) for x in names}, now=utcnow()),
}


def _user_id(raw: str) -> int:
    """Each person's account id on orwiki, as the "ids" step records it."""
    return NAMES.index(_first(raw)) + 100


def _suggest(session: Any, campaign: Any, names: list[str], other: str) -> None:
    """What a refresh of the delivery job stores: these people meet the bar now, with edits on pages named
    after others (the words are about pages, never a person)."""
    now = utcnow().replace(microsecond=0)
    edit = Edit(revid=7, title=f"{canonical_username(other)} river", ns=0, timestamp=now, sizediff=120,
                comment=f"Sources for {other}'s article", new=False, reverted=False, viewable=True)
    found = {_user_id(raw): (Account(canonical_username(raw), True, _user_id(raw), editcount=40, registered=now,
                                     edits=[edit] * 9), "participant", figures([edit] * 9, now, 7))
             for raw in names}
    refresh.store(session, campaign.id, found, {}, now)


def _first(raw: str) -> str:
    """The first spelling in NAMES of the same person, so that every spelling gets one set of ids."""
    return next(n for n in NAMES if canonical_username(n) == canonical_username(raw))


def _contribs(session: Any, username: str) -> None:
    """Counts as the job stores them after reading `list=usercontribs`."""
    if session.get(ContribCursor, ("orwiki", username)) is None:
        session.add(ContribDay(wiki="orwiki", username=username, day=date(2026, 1, 1), edits=3))
        session.add(ContribCursor(wiki="orwiki", username=username, since=utcnow() - timedelta(days=2),
                                  until=utcnow()))


# --- which rows are about A, from the stored structure alone ------------------------------------------

def rows_of(tables: Snapshot, table: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    names = [c.name for c in Base.metadata.tables[table].columns]
    return {key: dict(zip(names, row, strict=True)) for key, row in tables[table].items()}


def _about(tables: Snapshot, a: str) -> dict[str, set[tuple[Any, ...]]]:
    """The primary keys, per table, of the rows about A: what A did, what was done to A's person row, the
    nominations A made, received or reviewed (and their deliveries and events), what names A in a detail."""
    def rows(table: str) -> dict[tuple[Any, ...], dict[str, Any]]:
        return rows_of(tables, table)

    persons, noms, deliveries = rows("person"), rows("nomination"), rows("delivery")
    own_person = {key[0] for key, p in persons.items() if p["username"] == a}
    made_or_received = {key[0] for key, n in noms.items() if a in (n["nominator"], n["recipient"])}
    reviewed = {key[0] for key, n in noms.items() if n["reviewer"] in (a, f"trusted:{a}")}
    own_deliveries = {key[0] for key, d in deliveries.items() if d["nomination_id"] in made_or_received}

    def people_of(nomination_id: int | None, action: str) -> set[str]:
        if nomination_id not in {k[0] for k in noms}:
            return set()
        n = noms[(nomination_id,)]
        found = {n["nominator"], n["recipient"]}
        if n["reviewer"] and action not in ("nomination.create", "nomination.edit"):
            found.add(n["reviewer"].removeprefix("trusted:"))
        return found

    events = set()
    for key, e in rows("audit_event").items():
        details = json.loads(e["details"])
        involved = set()
        if e["actor"] != JOB:
            involved.add(canonical_username(e["actor"]))
        if e["object_type"] == "person" and int(e["object_id"]) in own_person:
            involved.add(a)
        if e["object_type"] == "nomination":
            involved |= people_of(int(e["object_id"]), e["action"])
        if e["object_type"] == "delivery":
            involved |= people_of(deliveries[(int(e["object_id"]),)]["nomination_id"], e["action"])
        for detail in ("recipient", "username"):
            if e["action"] in ("nomination.create", "campaign.organizer.add", "campaign.trusted.add",
                               "campaign.participant.hide", "suggestion.snooze", "suggestion.dismiss",
                               "suggestion.restore") and isinstance(details.get(detail), str):
                involved.add(details[detail])
        if a in involved:
            events.add(key)
    return {
        "person": {k for k in persons if k[0] in own_person},
        "wiki_account": {k for k in tables["wiki_account"] if k[0] in own_person},
        "nomination": {(i,) for i in made_or_received | reviewed},
        "delivery": {(i,) for i in own_deliveries},
        "campaign": {k for k, row in rows("campaign").items() if row["created_by"] == a},
        "campaign_member": {k for k, row in rows("campaign_member").items() if a in (row["username"],
                                                                                   row["added_by"])},
        "participant": {k for k, row in rows("participant").items() if a in (row["username"], row["added_by"])},
        "contrib_day": {k for k in tables["contrib_day"] if k[1] == a},
        "contrib_cursor": {k for k in tables["contrib_cursor"] if k[1] == a},
        "suggestion": {k for k, row in rows("suggestion").items() if a in (row["username"], row["snoozed_by"],
                                                                          row["dismissed_by"])},
        "audit_event": events,
        "audit_subject": {k for k in tables.get("audit_subject", {}) if k[1] == a},
    }


# --- what the public sees ---------------------------------------------------------------------------

def _public_names(app: Flask) -> list[str]:
    """Every user name the wall, the feeds and the API show, each as a whole."""
    client = app.test_client()
    shown = []
    for item in client.get("/api/v1/shoutouts?limit=100").get_json()["shoutouts"]:
        shown += [item["recipient"], item["nominator"]]
    for path in ("/", "/campaigns/c0", "/campaigns/c1"):
        page = client.get(path).get_data(as_text=True)
        shown += [html.unescape(m) for m in re.findall(r"<bdi>(.*?)</bdi>", page)]
    for path in ("/feed.atom", "/campaigns/c0/feed.atom", "/campaigns/c1/feed.atom"):
        shown += [entry.title for entry in feedparser.parse(client.get(path).data).entries]
    return [s for s in shown if s]


def _shown(app: Flask, a: str) -> bool:
    shown = _public_names(app)
    return a in shown or TITLE.replace("$1", a) in shown or \
        app.test_client().get(f"/users/orwiki/{quote(a)}").status_code != 404


@pytest.fixture
def site(database: Database) -> tuple[Database, Config, Flask]:
    config = make_config(database_url=database.url, channels={"mastodon": {"type": "mastodon"}})
    app = create_app(config, database)
    app.config["WTF_CSRF_ENABLED"] = False
    return database, config, app


@settings(max_examples=int(os.environ.get("KUDOS_HYPOTHESIS_EXAMPLES", "20")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=st.lists(nominate, min_size=2, max_size=8), steps=st.lists(step, min_size=4, max_size=16),
       data=st.data())
def test_export_and_erasure_touch_exactly_the_persons_rows(
        site: tuple[Database, Config, Flask], first: list[tuple[Any, ...]], steps: list[tuple[Any, ...]],
        data: st.DataObject) -> None:
    database, config, app = site
    empty(database)
    _build(database, config, first + steps + [("deliver", False)])
    # A: anyone, or more often someone thanked here, spelt in any of their ways.
    thanked = {canonical_username(step[2]) for step in first}
    raw = data.draw(name | st.sampled_from([n for n in NAMES if canonical_username(n) in thanked]), label="A")
    a = canonical_username(raw)
    before = snapshot(database)
    about = _about(before, a)
    event(f"audit rows about A: {min(len(about['audit_event']), 5)}+, of {len(before['audit_event']) // 10 * 10}+")

    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": raw, "editcount": 10}
    export = client.get("/me/data.json").get_json()
    assert {(e["id"],) for e in export["audit_events"]} == about["audit_event"]
    assert {n["id"] for n in export["nominations_received"] + export["nominations_made"]} | set(
        export["nominations_reviewed"]) == {k[0] for k in about["nomination"]}
    assert (export["person"] is not None) == bool(about["person"])

    delivered_to_a = any(n["recipient"] == a and n["status"] == "approved" and {
        (d["channel"], d["status"]) for d in n["deliveries"]} >= {("wall", "done")}
        for n in export["nominations_received"])
    if delivered_to_a and export["person"] and export["person"]["consent"] == "granted":
        event("A is on the wall before")
        assert _shown(app, a)  # so the check below can see a name on the wall when it is there

    assert client.post("/me/delete", data={"confirm": "y"}).status_code == 200
    after = snapshot(database)
    # The versions of the wall and of the dashboard's figures are nobody's data: counters that erasure moves so
    # no feed reader keeps A's name and no organizer sees A counted (kudos.wall_version, kudos.figures_version).
    for counter in ("wall_version", "figures_version"):
        before.pop(counter), after.pop(counter)
    for table, rows in before.items():
        # A table not listed in `_about` holds nobody's rows: erasure must leave it as it was.
        unchanged = {k: row for k, row in rows.items() if k not in about.get(table, set())}
        assert {k: after[table].get(k) for k in unchanged} == unchanged, table
    added = {table: set(after[table]) - set(rows) for table, rows in before.items()}
    assert sum(map(len, added.values())) == 1 and len(added["audit_event"]) == 1  # the fact of the erasure
    assert naming(after, a) == []
    own_suggestions = {k for k, row in rows_of(before, "suggestion").items() if row["username"] == a}
    assert not own_suggestions & set(after["suggestion"]), "a suggestion of the erased person is left"
    for own in ("person", "wiki_account", "contrib_day", "contrib_cursor", "audit_subject"):  # ids and all
        assert not about[own] & set(after[own]), own
    assert not _shown(app, a)
