"""Conditional requests to the feeds and the JSON API: ETag, Last-Modified, 304, Cache-Control.

The adversary's question throughout: can a poll be told "not modified" while the answer it would get has
changed? A stale 304 that keeps an erased person's name in a feed reader is a privacy failure.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Column, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from werkzeug.test import TestResponse

from kudos import accounts, campaigns, claims, nominations, people, privacy, wall, wall_version
from kudos.channels import Posted
from kudos.config import PROJECT_ROOT, Config
from kudos.db import Database
from kudos.models import Base, Consent, Delivery, Nomination, WallVersion, WebSession
from kudos.web import conditional
from tests.factories import make_campaign, make_nomination
from tests.webtools import count_queries, sign_in_as, web_app, web_config

POLLED = ["/feed.atom", "/campaigns/workshop/feed.atom", "/api/v1/shoutouts"]
sqlite_only = pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # nothing here differs by database


def _site(database: Database) -> tuple[Config, FlaskClient]:
    config = web_config(database, channels={"mastodon": {"type": "mastodon"}})
    with database.transaction() as session:
        workshop = make_campaign(session, config, channels=("mastodon",))
        make_campaign(session, config, slug="photo-walk", wiki="enwiki")
        _approve(session, config, workshop, "Sharmila", "Photographed every temple in the old town.")
    deliver_all(database)
    rewind(database)
    return config, web_app(database, config).test_client()


def rewind(database: Database) -> None:
    """The wall last changed an hour ago (not just now, twice within a second: Last-Modified would wait)."""
    with database.engine.begin() as connection:
        connection.execute(update(WallVersion).values(modified=WallVersion.modified - 3600))


def _approve(session: Session, config: Config, campaign: object, recipient: str, message: str) -> Nomination:
    nomination = make_nomination(session, config, campaign, recipient=recipient, message=message)  # type: ignore[arg-type]
    nominations.approve(session, config, nomination, "Olga Organizer")
    return nomination


def deliver_all(database: Database, channels: tuple[str, ...] = ("talkpage",)) -> None:
    """What the delivery job records: the talk pages posted, then the wall settled."""
    policy = claims.RetryPolicy()
    for delivery in claims.claim(database, "w1", list(channels), 100, 60):
        claims.record(database, "w1", delivery.id,
                      Posted(str(delivery.id), f"https://or.wikipedia.org/w/index.php?oldid={delivery.id}"), policy)
    claims.settle_wall(database)


def _poll(client: FlaskClient, path: str, tag: str | None = None, **headers: str) -> TestResponse:
    if tag is not None:
        headers["If-None-Match"] = tag
    return client.get(path, headers=headers)


def _tags(client: FlaskClient) -> dict[str, tuple[str, bytes]]:
    found = {}
    for path in POLLED:
        response = _poll(client, path)
        assert response.status_code == 200, path
        found[path] = (response.headers["ETag"], response.data)
    return found


def _sessions(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(WebSession)) or 0)


@pytest.mark.parametrize("path", POLLED)
def test_an_unchanged_feed_or_api_answers_304_after_one_lookup_and_starts_no_session(
        database: Database, path: str) -> None:
    _config, client = _site(database)
    full = _poll(client, path)
    assert full.status_code == 200
    tag = full.headers["ETag"]
    assert tag.startswith('W/"') and full.headers["Last-Modified"]
    assert full.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in full.headers["Vary"]

    with count_queries(database) as seen:
        again = _poll(client, path, tag)
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag and again.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in again.headers["Vary"]
    statements = [s for s in seen if s.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert len(statements) == 1 and "FROM wall_version" in statements[0], seen
    assert "Set-Cookie" not in again.headers and _sessions(database) == 0

    head = client.head(path, headers={"If-None-Match": tag})
    assert head.status_code == 304 and head.headers["ETag"] == tag
    assert client.head(path).headers["ETag"] == tag
    if path.startswith("/api/"):
        assert again.headers["Access-Control-Allow-Origin"] == "*"  # a browser's cached copy stays readable


@pytest.mark.parametrize("path", POLLED)
def test_a_full_request_for_an_unchanged_answer_gets_the_same_bytes_without_rendering(
        database: Database, path: str) -> None:
    config, client = _site(database)
    first = _poll(client, path)
    with count_queries(database) as seen:
        again = _poll(client, path)  # a new reader: no If-None-Match
    statements = [s for s in seen if s.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert len(statements) == 1 and "FROM wall_version" in statements[0], seen
    assert again.status_code == 200 and again.data == first.data
    for header in ("ETag", "Last-Modified", "Content-Type", "Cache-Control", "Vary"):
        assert again.headers[header] == first.headers[header], header
    assert again.headers.get("Access-Control-Allow-Origin") == first.headers.get("Access-Control-Allow-Origin")
    # In another language it is another answer, with its own tag.
    assert client.get(path, headers={"Accept-Language": "or"}).headers["ETag"] != first.headers["ETag"]
    # A new shout-out moves the tag: the next reader gets it, not the kept bytes.
    with database.transaction() as session:
        _approve(session, config, campaigns.get(session, "workshop"), "Ananya", "Wrote the history of Odia.")
    deliver_all(database)
    newer = _poll(client, path)
    assert newer.headers["ETag"] != first.headers["ETag"] and newer.data != first.data
    # Kept answers belong to one app: another on the same database renders its own.
    with count_queries(database) as seen:
        fresh = _poll(web_app(database, config).test_client(), path)
    assert fresh.status_code == 200 and any("FROM delivery" in s for s in seen)


def test_every_change_a_reader_could_see_gives_a_new_etag_and_a_200(database: Database) -> None:
    config, client = _site(database)

    def edit_delivered_message(session: Session) -> None:
        nomination = session.scalars(select(Nomination).where(Nomination.recipient == "Sharmila P")).one()
        nomination.message = "Photographed every temple, and every tank, in the old town."

    def new_shoutout() -> None:
        with database.transaction() as session:
            _approve(session, config, campaigns.get(session, "workshop"), "Ananya", "Wrote the history of Odia.")
        deliver_all(database)

    changes: list[tuple[str, Callable[[], None]]] = [
        ("a shout-out delivered by the job", new_shoutout),
        ("the recipient agrees to public sharing", lambda: _in(database, lambda s: people.set_consent(
            s, "Sharmila", Consent.granted))),
        ("the recipient withdraws", lambda: _in(database, lambda s: people.set_consent(
            s, "Sharmila", Consent.refused))),
        ("the recipient agrees again", lambda: _in(database, lambda s: people.set_consent(
            s, "Sharmila", Consent.granted))),
        ("the recipient is renamed", lambda: _in(database, lambda s: accounts.rename(
            s, "Sharmila", "Sharmila P", wiki="orwiki", actor="Kudos", reason="renamed on the wiki"))),
        ("a delivered message is edited", lambda: _in(database, edit_delivered_message)),
        ("the recipient's data is erased", lambda: _in(database, lambda s: privacy.erase(s, config, "Sharmila P"))),
    ]
    before = _tags(client)
    for what, change in changes:
        change()
        after = _tags(client)
        for path, (tag, body) in before.items():
            assert after[path][1] != body, (what, path)  # the change shows in each answer
            assert after[path][0] != tag, (what, path)
            assert _poll(client, path, tag).status_code == 200, (what, path)
            assert _poll(client, path, after[path][0]).status_code == 304, (what, path)
        before = after
    assert all(b"Sharmila" not in body for _tag, body in before.values())


def _in(database: Database, change: Callable[[Session], object]) -> None:
    with database.transaction() as session:
        change(session)


def test_what_no_reader_sees_keeps_the_etag(database: Database) -> None:
    config, client = _site(database)
    with database.transaction() as session:
        people.set_consent(session, "Sharmila", Consent.granted)  # her post on Mastodon may go now
    before = _tags(client)
    with database.transaction() as session:
        pending = make_nomination(session, config, campaigns.get(session, "workshop"), recipient="Pia").id
        people.set_consent(session, "Uma", Consent.refused)  # a "no" from someone never on the wall
        people.set_opt_out(session, "Uma", True)
    with database.transaction() as session:
        nominations.approve(session, config, session.get_one(Nomination, pending), "Olga Organizer")
    claims.claim(database, "w1", ["talkpage"], 100, 60)  # the job takes Pia's barnstar …
    claims.settle_wall(database)  # … and her shout-out waits for it
    deliver_all(database, ("mastodon",))  # Sharmila's post
    sign_in_as(client, "Sharmila")
    _poll(client, "/me")  # a session row
    sign_in_as(client, None)
    with database.engine.connect() as connection:
        rows = connection.execute(select(Delivery.channel, Delivery.status)).all()
    assert rows.count(("talkpage", "claimed")) == 1 and rows.count(("mastodon", "done")) == 1  # it all happened
    for path, (tag, _body) in before.items():
        assert _poll(client, path, tag).status_code == 304, path


@sqlite_only
def test_language_address_and_deployment_are_in_the_etag(database: Database) -> None:
    config, client = _site(database)
    variants = {
        "English": ("/feed.atom", {"Accept-Language": "en"}),
        "Odia": ("/feed.atom", {"Accept-Language": "or"}),
        "uselang": ("/feed.atom?uselang=or", {}),
        "message keys": ("/feed.atom?uselang=qqx", {}),
        "another host": ("/feed.atom", {"Host": "kudos.example.org"}),
        "api": ("/api/v1/shoutouts", {}),
        "limit": ("/api/v1/shoutouts?limit=1", {}),
        "limit 2": ("/api/v1/shoutouts?limit=2", {}),
        "wiki": ("/api/v1/shoutouts?wiki=orwiki", {}),
        "campaign": ("/api/v1/shoutouts?campaign=workshop", {}),
        "before": ("/api/v1/shoutouts?before=99", {}),
        "campaign feed": ("/campaigns/workshop/feed.atom", {}),
        "other campaign feed": ("/campaigns/photo-walk/feed.atom", {}),
    }
    tags = {}
    for name, (path, headers) in variants.items():
        response = _poll(client, path, **headers)
        assert response.status_code == 200, name
        tags[name] = response.headers["ETag"]
        assert _poll(client, path, tags[name], **headers).status_code == 304, name
    assert len(set(tags.values())) == len(tags), tags
    # The English copy is not "current" for an Odia reader, and Vary tells caches to keep both.
    odia = _poll(client, "/feed.atom", tags["English"], **{"Accept-Language": "or"})
    assert odia.status_code == 200 and "Kudos ପ୍ରଶଂସା" in odia.get_data(as_text=True)
    assert "Accept-Language" in odia.headers["Vary"]
    assert "Accept-Language" not in _poll(client, "/feed.atom?uselang=or").headers.get("Vary", "")

    # Another deployment: other configuration shown in the answers (a wiki's name) …
    renamed = web_config(database, channels={"mastodon": {"type": "mastodon"}},
                         wikis={"orwiki": {"api_url": "https://or.wikipedia.org/w/api.php", "language": "or",
                                           "name": "ଓଡ଼ିଆ ଉଇକିପିଡ଼ିଆ"},
                                "enwiki": {"api_url": "https://en.wikipedia.org/w/api.php", "language": "en",
                                           "name": "English Wikipedia"}})
    other = web_app(database, renamed).test_client()
    assert _poll(other, "/feed.atom", tags["English"], **{"Accept-Language": "en"}).status_code == 200
    assert conditional.build(renamed) != conditional.build(config)
    assert conditional.build(config, code="other code") != conditional.build(config)


def test_code_version_follows_the_files_not_their_place(tmp_path: Path) -> None:
    for folder in ("kudos", "templates", "i18n"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "requirements.txt", tmp_path / "requirements.txt")
    assert conditional.code_version(tmp_path) == conditional.code_version(PROJECT_ROOT)
    messages = tmp_path / "i18n" / "or.json"
    messages.write_text(messages.read_text(encoding="utf-8").replace("ଧନ୍ୟବାଦ", "ଧନ୍ୟବାଦ!", 1), encoding="utf-8")
    assert conditional.code_version.__wrapped__(tmp_path) != conditional.code_version(PROJECT_ROOT)


@sqlite_only
def test_if_none_match_with_several_weak_strong_or_star_tags(database: Database) -> None:
    _config, client = _site(database)
    tag = _poll(client, "/feed.atom").headers["ETag"]
    bare = tag.removeprefix("W/")
    for header in (tag, bare, f'"other", {tag}', f'W/"other",{bare} , "third"', "*"):
        assert _poll(client, "/feed.atom", header).status_code == 304, header
    for header in ('"other"', 'W/"other", "third"', "", "garbage", bare[:-3] + '"', f"{tag}x"):
        assert _poll(client, "/feed.atom", header).status_code == 200, header
    # "*" means "if there is anything here": an unknown campaign's feed is still a 404.
    assert _poll(client, "/campaigns/nope/feed.atom", "*").status_code == 404
    assert _poll(client, "/api/v1/shoutouts?wiki=nowiki", "*").status_code == 400
    # With If-None-Match present, If-Modified-Since is not looked at (RFC 9110 §13.2.2).
    last_modified = _poll(client, "/feed.atom").headers["Last-Modified"]
    assert _poll(client, "/feed.atom", '"other"', **{"If-Modified-Since": last_modified}).status_code == 200


@sqlite_only
def test_if_modified_since(database: Database) -> None:
    _config, client = _site(database)
    last_modified = _poll(client, "/feed.atom").headers["Last-Modified"]  # an hour ago
    moment = datetime.strptime(last_modified, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)

    def since(value: str) -> int:
        return _poll(client, "/feed.atom", **{"If-Modified-Since": value}).status_code

    assert since(last_modified) == 304
    assert since(format_datetime(moment + timedelta(seconds=1), usegmt=True)) == 304
    assert since(format_datetime(moment - timedelta(seconds=1), usegmt=True)) == 200
    assert since(format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)) == 200  # not a date we sent
    assert since("yesterday") == 200
    assert since(f"{last_modified}, {last_modified}") == 200  # more than one date: ignored
    assert since(f"{last_modified}\tx") == 200
    # The obsolete forms RFC 9110 asks recipients to accept.
    assert since(moment.strftime("%A, %d-%b-%y %H:%M:%S GMT")) == 304
    assert since(moment.strftime("%a %b %e %H:%M:%S %Y")) == 304


def test_last_modified_moves_by_a_second_at_least_and_is_never_in_the_future(database: Database) -> None:
    _config, client = _site(database)
    with database.engine.connect() as connection:
        _version, first = wall_version.read(connection)
    for _ in range(3):  # three changes within a second or two
        with database.transaction() as session:
            wall_version.bump(session)
    with database.engine.connect() as connection:
        version, modified = wall_version.read(connection)
    assert modified >= first + 3
    # Ahead of the clock (many changes in one second): no Last-Modified, so no If-Modified-Since can match.
    with database.transaction() as session:
        session.execute(update(WallVersion).values(modified=modified + 3600))
    response = _poll(client, "/feed.atom")
    assert response.status_code == 200 and "Last-Modified" not in response.headers
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True)
    assert _poll(client, "/feed.atom", **{"If-Modified-Since": soon}).status_code == 200
    assert _poll(client, "/feed.atom", response.headers["ETag"]).status_code == 304  # the ETag still serves


@sqlite_only
def test_only_anonymous_public_answers_may_be_kept_by_caches(database: Database) -> None:
    _config, client = _site(database)
    with database.engine.connect() as connection:
        shoutout = connection.scalar(select(Delivery.nomination_id).where(Delivery.channel == "wall"))
    with database.transaction() as session:
        people.set_consent(session, "Sharmila", Consent.granted)
    public = ["/", "/campaigns/workshop", f"/shoutouts/{shoutout}", "/users/orwiki/Sharmila", *POLLED]
    for path in public:
        response = _poll(client, path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "public, max-age=60", path
    for path in ("/users/orwiki/Nobody", "/campaigns/nope", "/login", "/privacy"):
        assert "public" not in _poll(client, path).headers.get("Cache-Control", ""), path
    sign_in_as(client, "Sharmila")
    for path in public:
        assert _poll(client, path).headers["Cache-Control"] == "private, no-store", path
    # Anonymous, but with a session of its own (a sign-in under way, a message to show once).
    sign_in_as(client, None)
    with client.session_transaction() as session:
        session["csrf_token"] = "a token"
    for path in public:
        assert "public" not in _poll(client, path).headers.get("Cache-Control", ""), path


def test_every_column_the_wall_reads_is_watched() -> None:
    """A column added to the wall's query without being watched would let a change hide behind a 304."""
    read = {(getattr(column.table, "element", column.table).name, column.name)
            for column in visitors.iterate(wall._base_query()) if isinstance(column, Column)}
    watched = {(model.__tablename__, name) for model, names in wall_version.SHOWN.items() for name in names}
    keys = {(table.name, column.name) for table in Base.metadata.tables.values() for column in table.primary_key}
    assert read - keys <= watched, read - keys - watched
    assert ("person", "consent") in read and ("nomination", "message") in read  # the query was looked into


def test_changes_racing_each_other_each_move_the_version(database: Database) -> None:
    """Versions are ordered as commits are: none is lost when writers commit at the same moment."""
    with database.engine.connect() as connection:
        start, _modified = wall_version.read(connection)
    errors: list[BaseException] = []

    def flip(worker: int) -> None:
        try:
            for round_ in range(5):
                with database.transaction() as session:
                    people.set_consent(session, f"Racer {worker}",
                                       (Consent.granted, Consent.refused)[round_ % 2])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=flip, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.engine.connect() as connection:
        # Granting from "unknown" and every change after it is seen on the wall: 5 versions a person.
        assert wall_version.read(connection)[0] == start + 20
