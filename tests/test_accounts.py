"""Recipients' account ids: recorded when nominated, renames followed, records of one person merged."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from sqlalchemy import select

from kudos import accounts, bulk, people
from kudos.db import Database
from kudos.errors import DomainError
from kudos.models import AuditEvent, Campaign, Consent, Nomination, Person, WikiAccount
from kudos.wikiapi import UserInfo
from tests.factories import make_campaign, make_nomination
from tests.support import make_config


def _accounts(database: Database) -> set[tuple[str, str, int]]:
    with database.session() as session:
        rows = session.execute(select(Person.username, WikiAccount.wiki, WikiAccount.user_id).join(WikiAccount))
        return {tuple(row) for row in rows}  # type: ignore[misc]


def test_ids_are_stored_per_wiki_and_the_central_id_only_when_it_is_one(database: Database) -> None:
    with database.transaction() as session:
        accounts.remember_ids(session, "ravi", "orwiki", accounts.Ids(41, central_id=9001), actor="Nina")
        accounts.remember_ids(session, "Ravi", "enwiki", accounts.Ids(7), actor="Nina")
        accounts.remember_ids(session, "Rita", "enwiki", accounts.Ids(8), actor="Nina")
    assert _accounts(database) == {("Ravi", "orwiki", 41), ("Ravi", "enwiki", 7), ("Rita", "enwiki", 8)}
    with database.session() as session:
        assert people.find(session, "Ravi").central_id == 9001  # type: ignore[union-attr]
        assert people.find(session, "Rita").central_id is None  # type: ignore[union-attr]
        assert accounts.known_ids(session, "enwiki", ["Ravi", "rita", "Nobody"]) == {"Ravi": 7, "Rita": 8}


def test_nominating_a_known_account_under_its_new_name_moves_the_person_and_keeps_their_choices(
        database: Database) -> None:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        make_nomination(session, config, campaign, recipient="Old Name")
        accounts.remember_ids(session, "Old Name", "orwiki", accounts.Ids(41), actor="Nina")
        people.set_consent(session, "Old Name", Consent.granted)
        # Someone else nominated the new name before Kudos noticed: a second record for the same account.
        make_nomination(session, config, campaign, nominator="Nora", recipient="New Name")
    with database.transaction() as session:
        campaign = session.scalars(select(Campaign)).one()
        make_nomination(session, config, campaign, nominator="Nils", recipient="New Name",
                        recipient_ids=accounts.Ids(41))
    with database.session() as session:
        assert people.find(session, "Old Name") is None
        person = people.find(session, "New Name")
        assert person is not None and person.consent == Consent.granted
        assert {n.recipient for n in session.scalars(select(Nomination))} == {"New Name"}
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "person.renamed")).one()
        assert json.loads(event.details)["before"] == "Old Name" and event.actor == "Nils"
    assert _accounts(database) == {("New Name", "orwiki", 41)}


def test_an_opted_out_person_stays_opted_out_under_a_new_name(database: Database) -> None:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        make_campaign(session, config)
        accounts.remember_ids(session, "Quiet", "orwiki", accounts.Ids(5), actor="Quiet")
        people.set_opt_out(session, "Quiet", True)
    with pytest.raises(DomainError, match="chosen not to receive awards"), database.transaction() as session:
        campaign = session.scalars(select(Campaign)).one()
        make_nomination(session, config, campaign, recipient="Quieter", recipient_ids=accounts.Ids(5))


class _Lookup:
    def __init__(self, ids: dict[str, int]) -> None:
        self.ids = ids

    def __call__(self, names: Sequence[str]) -> dict[str, UserInfo]:
        return {n: UserInfo(n, exists=n in self.ids, user_id=self.ids.get(n)) for n in names}


def test_bulk_nominations_record_every_recipients_id(database: Database) -> None:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        result = bulk.create(session, config, campaign=campaign, organizer="Olga Organizer",
                             text="Asha\nBina\nNobody here", default_message="Thank you for the edit-a-thon!",
                             award="barnstar", approve=False, lookup=_Lookup({"Asha": 11, "Bina": 12}))
        assert len(result.created) == 2 and len(result.problems) == 1
    assert _accounts(database) == {("Asha", "orwiki", 11), ("Bina", "orwiki", 12)}
