"""A recipient renamed after being nominated still gets the barnstar, under the new name, exactly once.

Nominated through the web form (which records the account id the wiki reports), renamed on the real
local MediaWiki with the Renameuser extension and no redirect left behind, then the job runs.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from kudos import accounts, nominations
from kudos.models import AuditEvent, Nomination, Person, WikiAccount
from kudos.web import create_app
from tests import wikibot_support
from tests.factories import make_campaign
from tests.servers.database import ON_MARIADB
from tests.wikibot_support import ORGANIZER, WIKI_ID, Job, markers_on, unique_name

delivery_bot = wikibot_support.delivery_bot
job = wikibot_support.job

# The wiki's renames and the job's reads: on MariaDB only; the rename in the database is test_accounts', on both
# (the rule: tests/servers/database.py).
pytestmark = [pytest.mark.mediawiki, ON_MARIADB]


def nominate_through_the_form(job: Job, nominator: str, recipient: str) -> tuple[int, int]:
    """Nominate and approve; returns the nomination's id and its talk-page delivery's id."""
    slug = unique_name("ren-").lower()
    with job.db.transaction() as session:
        make_campaign(session, job.config, slug=slug, wiki=WIKI_ID, organizers=(ORGANIZER,))
    app = create_app(job.config, job.db)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = {"username": nominator, "editcount": 1000}
    response = client.post("/nominate/confirm", data={
        "campaign": slug, "recipient": recipient, "award": "barnstar", "link": "",
        "message": "Answered every question at the help desk for a month."})
    assert response.status_code == 302, response.get_data(as_text=True)
    with job.db.transaction() as session:
        nomination = session.scalars(select(Nomination).where(Nomination.recipient == recipient)).one()
        nominations.approve(session, job.config, nomination, ORGANIZER)
        session.flush()
        return nomination.id, next(d.id for d in nomination.deliveries if d.channel == "talkpage")


def test_a_recipient_renamed_without_a_redirect_gets_the_barnstar_under_the_new_name(job: Job) -> None:
    wiki = job.wiki
    nominator, old = job.users(2, prefix="Ren")
    new = unique_name("Renamed")
    wiki.edit(f"User talk:{old}", "== Earlier ==\nAn older thread.")
    user_id = wiki.api(list="users", ususers=old)["query"]["users"][0]["userid"]

    nomination_id, delivery_id = nominate_through_the_form(job, nominator, old)
    with job.db.session() as session:
        person = session.scalars(select(Person).where(Person.username == old)).one()
        account = session.scalars(select(WikiAccount).where(WikiAccount.person_id == person.id)).one()
        assert (account.wiki, account.user_id) == (WIKI_ID, user_id)
        assert person.central_id is None  # no CentralAuth here: the local id is not stored as a central one

    wiki.rename_user(old, new)
    assert wiki.api(list="users", ususers=old)["query"]["users"][0].get("missing")
    assert wiki.api(prop="info", titles=f"User talk:{old}")["query"]["pages"][0].get("missing")  # no redirect

    assert job.once() == {"done": 2, "skipped": 0, "retrying": 0, "failed": 0}  # talk page + wall
    delivery = wikibot_support.deliveries(job.db, [delivery_id])[delivery_id]
    assert markers_on(wiki, f"User talk:{new}", delivery.key) == 1
    assert "An older thread." in wikibot_support.page_text(wiki, f"User talk:{new}")  # the moved page kept
    assert wiki.api(prop="info", titles=f"User talk:{old}")["query"]["pages"][0].get("missing")

    with job.db.session() as session:
        assert session.scalar(select(Person.username).where(Person.id == person.id)) == new
        assert session.get(Nomination, nomination_id).recipient == new  # type: ignore[union-attr]
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "person.renamed", AuditEvent.object_id == str(person.id))).all()
        assert [json.loads(e.details)["before"] for e in events] == [old]
        assert events[0].actor == "Kudos delivery job"

    assert job.once() == {"done": 0, "skipped": 0, "retrying": 0, "failed": 0}
    assert markers_on(wiki, f"User talk:{new}", delivery.key) == 1


def test_a_batch_with_renamed_recipients_costs_two_reads_more_than_one_without(job: Job) -> None:
    wiki = job.wiki
    *warm_up, plain_a, plain_b, plain_c, staying, moving_a, moving_b = job.users(8, prefix="Ren")
    plain = [plain_a, plain_b, plain_c]
    with job.db.transaction() as session:
        for name in (*plain, staying, moving_a, moving_b):
            user_id = wiki.api(list="users", ususers=name)["query"]["users"][0]["userid"]
            accounts.remember_ids(session, name, WIKI_ID, accounts.Ids(user_id), actor="test")
    for name in warm_up:
        # The first run logs in, the second still fills pywikibot's caches; later runs are alike.
        job.approve([name])
        job.once()

    job.approve(plain)
    before = wiki.request_count()
    assert job.once()["done"] == 6
    without_renames = wiki.request_count() - before

    job.approve([staying, moving_a, moving_b])
    wiki.rename_user(moving_a, moving_a + "x")
    wiki.rename_user(moving_b, moving_b + "x")
    before = wiki.request_count()
    assert job.once()["done"] == 6
    with_renames = wiki.request_count() - before
    # Same batch size, same number of edits: only the id lookup and the new talk pages' read are added.
    assert with_renames - without_renames == 2
    for name in (moving_a, moving_b):
        assert "kudos:delivery:" in wikibot_support.page_text(wiki, f"User talk:{name}x")
