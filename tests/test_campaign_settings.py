"""A campaign's settings (kudos.campaign_settings): each bad field refused with its own sentence and nothing
written, changes audited with before and after, closing stops nominations but not reviews or deliveries."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from kudos import campaign_settings, nominations
from kudos.campaign_settings import Invalid, Settings
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.errors import DomainError
from kudos.models import AuditEvent, AuditSubject, Campaign, CampaignKind, MemberRole, ParticipantSource
from tests.factories import make_nomination
from tests.support import make_config

CHANNELS = {"mastodon": {"type": "mastodon"}, "odia-matrix": {"type": "matrix", "wikis": ["orwiki"]}}
WIKIS = {
    "enwiki": {"api_url": "https://en.wikipedia.org/w/api.php", "language": "en", "name": "English Wikipedia"},
    "orwiki": {"api_url": "https://or.wikipedia.org/w/api.php", "language": "or", "name": "Odia Wikipedia",
               "timezone": "Asia/Kolkata"},
}


def _config(database: Database) -> Config:
    return make_config(database_url=database.url, wikis=WIKIS, channels=CHANNELS)


def _settings(**changes: object) -> Settings:
    values: dict[str, object] = dict(
        name="Saturday workshop", slug="sat-workshop", wiki="orwiki", kind=CampaignKind.workshop,
        starts=utcnow() + timedelta(days=2), ends=utcnow() + timedelta(days=3), description="Odia articles.",
        awards=["barnstar", "teamwork"], default_award="teamwork", min_editcount=10, trusted=["Tara"],
        channels=["odia-matrix"], event_url="https://meta.wikimedia.org/wiki/Special:EventDetails/42")
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_creating_stores_every_setting_and_makes_the_creator_its_organizer(database: Database) -> None:
    config = _config(database)
    with database.transaction() as session:
        campaign_settings.create(session, config, _settings(), "Olga")
    with database.session() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.slug == "sat-workshop"))
        assert campaign is not None
        assert (campaign.name, campaign.wiki, campaign.kind, campaign.awards, campaign.default_award) == (
            "Saturday workshop", "orwiki", CampaignKind.workshop, ["barnstar", "teamwork"], "teamwork")
        assert (campaign.min_editcount, campaign.channels, campaign.created_by) == (10, ["odia-matrix"], "Olga")
        assert campaign.event_url == "https://meta.wikimedia.org/wiki/Special:EventDetails/42"
        assert campaign.organizers == {"Olga"} and campaign.usernames(MemberRole.trusted) == {"Tara"}
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions == ["campaign.create", "campaign.organizer.add", "campaign.settings", "campaign.trusted.add"]


BAD = [
    ("slug", {"slug": "Sat Workshop"}, "kudos-error-campaign-slug"),
    ("slug", {"slug": "new"}, "kudos-error-campaign-slug"),
    ("ends", {"starts": datetime(2026, 12, 10), "ends": datetime(2026, 12, 9)}, "kudos-error-campaign-dates"),
    ("wiki", {"wiki": "dewiki", "awards": None, "default_award": None, "channels": []}, "kudos-error-campaign-wiki"),
    ("awards", {"awards": ["barnstar", "goldstar"]}, "kudos-error-award-unknown"),
    ("awards", {"awards": []}, "kudos-error-campaign-no-awards"),
    ("default_award", {"awards": ["barnstar"], "default_award": "teamwork"}, "kudos-error-campaign-default-award"),
    ("channels", {"channels": ["telegram"]}, "kudos-error-campaign-channel"),
    ("channels", {"wiki": "enwiki", "channels": ["odia-matrix"]}, "kudos-error-campaign-channel-wiki"),
    ("starts", {"starts": utcnow() + timedelta(days=400), "ends": None}, "kudos-error-campaign-too-far"),
    ("min_editcount", {"min_editcount": -1}, "kudos-error-campaign-editcount"),
    ("min_editcount", {"min_editcount": 10**20}, "kudos-error-campaign-editcount-high"),
    ("trusted", {"trusted": ["Tara", "Tara[1]"]}, "kudos-error-campaign-trusted-name"),
    ("trusted", {"trusted": ["T" * 300]}, "kudos-error-campaign-trusted-name"),
    ("event_url", {"event_url": "https://example.org/my-event"}, "kudos-error-campaign-event-link"),
    ("event_url", {"event_url": "Special:EventDetails/42"}, "kudos-error-campaign-event-link"),
    ("name", {"name": "   "}, "kudos-error-campaign-name"),
    ("kind", {"kind": CampaignKind.community}, "kudos-error-campaign-kind"),
]


@pytest.mark.parametrize("field,changes,key", BAD, ids=[f"{b[0]}-{b[2]}" for b in BAD])
def test_a_bad_field_is_refused_with_its_sentence_and_nothing_is_written(
        database: Database, field: str, changes: dict[str, object], key: str) -> None:
    config = _config(database)
    before = (_count(database, Campaign), _count(database, AuditEvent))
    with pytest.raises(Invalid) as refused, database.transaction() as session:
        campaign_settings.create(session, config, _settings(**changes), "Olga")
    assert {name: e.key for name, e in refused.value.problems.items()} == {field: key}
    assert (_count(database, Campaign), _count(database, AuditEvent)) == before


def test_a_taken_slug_is_refused(database: Database) -> None:
    config = _config(database)
    with database.transaction() as session:
        campaign_settings.create(session, config, _settings(), "Olga")
    with pytest.raises(Invalid) as refused, database.transaction() as session:
        campaign_settings.create(session, config, _settings(name="Another"), "Oscar")
    assert refused.value.problems["slug"].key == "kudos-error-campaign-exists"
    assert _count(database, Campaign) == 1


def test_several_bad_fields_are_all_reported_at_once(database: Database) -> None:
    with pytest.raises(Invalid) as refused, database.transaction() as session:
        campaign_settings.create(session, _config(database), _settings(slug="!", min_editcount=-3,
                                                                        event_url="http://x"), "Olga")
    assert set(refused.value.problems) == {"slug", "min_editcount", "event_url"}


def _made(database: Database, config: Config, **changes: object) -> int:
    with database.transaction() as session:
        return campaign_settings.create(session, config, _settings(**changes), "Olga").id


def test_an_update_audits_only_what_changed_with_before_and_after(database: Database) -> None:
    config = _config(database)
    campaign_id = _made(database, config)
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        wanted = Settings.of(campaign)
        wanted.name, wanted.min_editcount, wanted.trusted = "Saturday photo workshop", 20, ["Tina"]
        changed = campaign_settings.update(session, config, campaign, wanted, "Olga")
    assert sorted(changed) == ["min_editcount", "name", "trusted"]
    with database.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.settings")
                                .order_by(AuditEvent.id.desc())).first()
        assert event is not None and json.loads(event.details) == {
            "before": {"name": "Saturday workshop", "min_editcount": 10},
            "after": {"name": "Saturday photo workshop", "min_editcount": 20}}
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.usernames(MemberRole.trusted) == {"Tina"}
        history = campaign_settings.history(session, campaign)
        assert [c.action for c in history[:3]] == ["campaign.trusted.remove", "campaign.trusted.add",
                                                   "campaign.settings"]
        # Both people are subjects of their events, so their data export and erasure find them.
        for action, name in (("campaign.trusted.remove", "Tara"), ("campaign.trusted.add", "Tina")):
            subject = session.scalars(select(AuditSubject.name).join(AuditEvent).where(
                AuditEvent.action == action, AuditSubject.role == "details.username")
                .order_by(AuditEvent.id.desc())).first()
            assert subject == name


def test_an_update_without_changes_writes_nothing(database: Database) -> None:
    config = _config(database)
    campaign_id = _made(database, config)
    events = _count(database, AuditEvent)
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert campaign_settings.update(session, config, campaign, Settings.of(campaign), "Olga") == []
    assert _count(database, AuditEvent) == events


def test_the_wiki_is_fixed_once_the_campaign_has_nominations(database: Database) -> None:
    config = _config(database)
    campaign_id = _made(database, config, channels=[])
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        wanted = Settings.of(campaign)
        wanted.wiki = "enwiki"
        assert campaign_settings.update(session, config, campaign, wanted, "Olga") == ["wiki"]
        assert campaign.language == "en"
        campaign.starts = utcnow() - timedelta(days=1)
        make_nomination(session, config, campaign, nominator="Nina", recipient="Ravi")
    with pytest.raises(Invalid) as refused, database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        wanted = Settings.of(campaign)
        wanted.wiki = "orwiki"
        campaign_settings.update(session, config, campaign, wanted, "Olga")
    assert refused.value.problems == {"wiki": refused.value.problems["wiki"]}
    assert refused.value.problems["wiki"].key == "kudos-error-campaign-wiki-locked"


def test_closing_stops_nominations_but_not_reviews(database: Database) -> None:
    config = _config(database)
    campaign_id = _made(database, config, starts=utcnow() - timedelta(days=1), ends=None)
    with database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        pending = make_nomination(session, config, campaign, nominator="Nina", recipient="Ravi")
        assert campaign_settings.close(session, campaign, "Olga")
        assert not campaign_settings.close(session, campaign, "Olga")  # already closed: nothing more is written
        with pytest.raises(DomainError) as refused:
            nominations.nominate(session, config, campaign=campaign, nominator="Nina", recipient="Sita",
                                 award="teamwork", message="Thanks for the photos of the temples.")
        assert refused.value.key == "kudos-error-campaign-not-open"
        nominations.approve(session, config, pending, "Olga")  # the queue goes on, and so do deliveries
        assert pending.deliveries
        closes = session.scalar(select(func.count()).where(AuditEvent.action == "campaign.close"))
        assert closes == 1


def test_a_nomination_can_carry_only_an_offered_award(database: Database) -> None:
    config = _config(database)
    campaign_id = _made(database, config, starts=utcnow() - timedelta(days=1), awards=["teamwork"],
                        default_award=None)
    with pytest.raises(DomainError) as refused, database.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        nominations.nominate(session, config, campaign=campaign, nominator="Nina", recipient="Ravi",
                             award="barnstar", message="Thanks for the photos of the temples.")
    assert refused.value.key == "kudos-error-award-not-offered"


def test_dates_are_typed_in_the_wikis_time_zone_and_stored_in_utc() -> None:
    wiki = make_config(wikis=WIKIS).wiki("orwiki")
    typed = datetime(2026, 12, 5, 10, 0)  # 10:00 in Kolkata
    stored = campaign_settings.local_to_utc(typed, wiki)
    assert stored == datetime(2026, 12, 5, 4, 30)
    assert campaign_settings.utc_to_local(stored, wiki) == typed


@pytest.mark.parametrize("link,source,value", [
    ("https://meta.wikimedia.org/wiki/Special:EventDetails/42", ParticipantSource.campaignevents, "42"),
    ("https://or.wikipedia.org/w/index.php?title=Special:RegisterForEvent/7", ParticipantSource.campaignevents, "7"),
    ("https://outreachdashboard.wmflabs.org/courses/Odia_Wiki/Saturday_workshop/home", ParticipantSource.dashboard,
     "Odia_Wiki/Saturday_workshop"),
])
def test_an_event_link_names_the_participant_import(link: str, source: ParticipantSource, value: str) -> None:
    assert campaign_settings.event_source(make_config(), link) == (source, value)
