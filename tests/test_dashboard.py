"""The organizer's home: each campaign they organize with the figures that say what needs doing now, read in
the same few queries for any number of campaigns, and never a figure of a campaign they do not organize.

The data is hostile on purpose: campaigns whose slugs and names are prefixes of each other, an organizer whose
name is a prefix of another's, nominations and deliveries of other campaigns, deliveries on every channel,
and rows just outside each figure's window.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kudos import campaign_settings, campaigns, dashboard, nominations, participants
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.models import Campaign, DeliveryStatus, MemberRole, Nomination, ParticipantSource
from tests.factories import make_campaign, make_nomination
from tests.webtools import sign_in_as, web_app, web_config

SOCIAL = ("mastodon", "matrix")
NOW = utcnow()


def _nominate(session: Session, config: Config, campaign: Campaign, recipient: str, *, ago: timedelta,
              nominator: str = "Nina", now: datetime = NOW) -> Nomination:
    nomination = make_nomination(session, config, campaign, nominator=nominator, recipient=recipient)
    nomination.created_at = now - ago
    session.flush()
    return nomination


def _approved(session: Session, config: Config, campaign: Campaign, recipient: str,
              statuses: dict[str, tuple[DeliveryStatus, datetime | None]]) -> Nomination:
    """An approved nomination whose deliveries stand as given (channel → status and done_at); the other
    channels keep what approval gave them (pending, or awaiting consent on social channels)."""
    nomination = _nominate(session, config, campaign, recipient, ago=timedelta(days=20))
    nominations.approve(session, config, nomination, "Olga")
    for delivery in nomination.deliveries:
        if delivery.channel in statuses:
            delivery.status, delivery.done_at = statuses[delivery.channel]
    session.flush()
    return nomination


def _seed(database: Database) -> Config:
    config = web_config(database)
    done, skipped, failed = DeliveryStatus.done, DeliveryStatus.skipped, DeliveryStatus.failed
    with database.transaction() as session:
        campaigns.ensure_community_campaigns(session, config)  # organized by nobody: never on anyone's home
        walk = make_campaign(session, config, slug="walk", organizers=("Olga",), channels=SOCIAL)
        walk_more = make_campaign(session, config, slug="walk-more", organizers=("Olga", "Oscar"), channels=SOCIAL)
        # Another organizer's campaign: same name as "walk", a slug "walk" is a prefix of, an organizer whose
        # name starts with Olga's, and Olga a trusted nominator there (not an organizer).
        other = make_campaign(session, config, slug="walk-b", organizers=("Olga2",), channels=SOCIAL)
        other.name = walk.name
        campaigns.add_member(session, other, "Olga", MemberRole.trusted, "Ada")

        # walk: three waiting (the oldest three days), one delivered this week, one eight days ago, one
        # rejected, one withdrawn; its wall and social copies delivered too (not barnstars).
        for recipient, ago in (("Asha", timedelta(days=3, hours=2)), ("Bina", timedelta(hours=5)),
                               ("Chandan", timedelta(minutes=1))):
            _nominate(session, config, walk, recipient, ago=ago)
        everywhere = {channel: (done, NOW - timedelta(days=1)) for channel in ("talkpage", "wall", *SOCIAL)}
        _approved(session, config, walk, "Dipa", everywhere)
        _approved(session, config, walk, "Esha", {"talkpage": (done, NOW - timedelta(days=8)),
                                                   "wall": (done, NOW - timedelta(days=2))})
        nominations.reject(session, _nominate(session, config, walk, "Firoz", ago=timedelta(days=30)), "Olga",
                           "Not about the walk.")
        nominations.withdraw(session, _nominate(session, config, walk, "Gita", ago=timedelta(days=40)), "Nina")

        # walk-more: nothing waits; one barnstar skipped, one failed, a failed social post, a skipped social
        # post (refused consent: not a barnstar), and three social posts waiting for two recipients' consent.
        _approved(session, config, walk_more, "Hari", {"talkpage": (skipped, NOW), "wall": (skipped, NOW),
                                                        "mastodon": (skipped, NOW), "matrix": (skipped, NOW)})
        _approved(session, config, walk_more, "Indu", {"talkpage": (failed, None), "mastodon": (failed, None),
                                                        "matrix": (done, NOW)})
        _approved(session, config, walk_more, "Jaya", {"talkpage": (done, NOW)})  # both social posts wait
        _approved(session, config, walk_more, "Kiran", {"talkpage": (done, NOW), "mastodon": (done, NOW)})

        # walk-b: plenty of everything, none of it Olga's to see.
        for i in range(4):
            _nominate(session, config, other, f"Other {i}", ago=timedelta(days=60))
            _approved(session, config, other, f"Delivered {i}", {"talkpage": (done, NOW), "wall": (failed, None),
                                                                 "mastodon": (failed, None)})
        _approved(session, config, other, "Skipped", {"talkpage": (skipped, NOW)})
    return config


def _figures(row: dashboard.CampaignStatus) -> tuple[object, ...]:
    return (row.slug, row.waiting, row.delivered_week, row.skipped, row.failed, row.awaiting_consent)


def test_each_campaign_has_its_own_figures_and_only_its_organizers_see_them(database: Database) -> None:
    _seed(database)
    with database.transaction() as session:
        olga = dashboard.organized(session, "Olga", SOCIAL, NOW)
        oscar = dashboard.organized(session, "Oscar", SOCIAL, NOW)
        olga2 = dashboard.organized(session, "Olga2", SOCIAL, NOW)
        nobody = dashboard.organized(session, "Nina", SOCIAL, NOW)
    # Newest first. walk-more: no queue, one skipped barnstar, two failed deliveries (the failed wall copies
    # of walk-b are not Olga's, and a wall copy never counts), three social posts waiting for consent (Jaya's
    # two, Kiran's Matrix post). walk: Esha, whose barnstar came eight days ago, has not answered yet.
    assert [_figures(row) for row in olga] == [("walk-more", 0, 2, 1, 2, 3), ("walk", 3, 1, 0, 0, 2)]
    assert [_figures(row) for row in oscar] == [("walk-more", 0, 2, 1, 2, 3)]
    assert [_figures(row) for row in olga2] == [("walk-b", 4, 4, 1, 4, 6)]
    assert nobody == []
    walk = olga[1]
    assert walk.oldest_waiting == NOW - timedelta(days=3, hours=2)
    assert olga[0].oldest_waiting is None


@pytest.mark.parametrize(("cap", "expected"), [
    # walk: 3 waiting; walk-more: 1 barnstar skipped, 2 failed deliveries (a barnstar and a social post).
    (3, {"walk": (3, 0, 0), "walk-more": (0, 1, 2)}),  # at the cap: exact
    (2, {"walk": (3, 0, 0), "walk-more": (0, 1, 2)}),  # one over the cap reads as cap + 1, which it is
    # Counting stopped at cap + 1; the two failed deliveries, one per channel, are each at the cap and their
    # sum over it, which the page says as "more than 1".
    (1, {"walk": (2, 0, 0), "walk-more": (0, 1, 2)}),
])
def test_the_figures_that_grow_with_history_stop_counting_past_the_cap(
        database: Database, cap: int, expected: dict[str, tuple[int, int, int]]) -> None:
    _seed(database)
    with database.session() as session:
        rows = dashboard.organized(session, "Olga", SOCIAL, NOW, cap=cap)
    assert {row.slug: (row.waiting, row.skipped, row.failed) for row in rows} == expected
    assert {row.cap for row in rows} == {cap}


def test_the_page_says_more_than_the_cap_and_exact_figures_under_it(client: FlaskClient,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard, "CAP", 1)
    cards = _cards(sign_in_as(client, "Olga").get("/dashboard").get_data(as_text=True))
    walk, more = cards["walk"], cards["walk-more"]
    assert _figure(walk, "waiting") == 'data-count="1" data-more-than'
    assert "More than 1 nomination waits for review; the oldest has waited 3 days." in walk
    assert "nominations wait" not in walk
    assert _figure(more, "not-delivered") == 'data-skipped="1" data-failed="1" data-more-failed'
    assert "1 barnstar was not posted." in more and "More than 1 delivery failed and can be retried." in more
    assert "More than 1 barnstar" not in more


def test_a_delivery_exactly_seven_days_old_still_counts_and_one_older_does_not(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        walk = make_campaign(session, config, slug="walk", organizers=("Olga",))
        for days, seconds in ((7, 0), (7, 1)):
            _approved(session, config, walk, f"Person {seconds}",
                      {"talkpage": (DeliveryStatus.done, NOW - timedelta(days=days, seconds=seconds))})
        assert [row.delivered_week for row in dashboard.organized(session, "Olga", (), NOW)] == [1]


def test_an_unconfigured_social_channel_is_not_read(database: Database) -> None:
    """Posts for channels the configuration no longer has are not counted: the figure follows the channels
    named (those of the configuration), so every delivery figure reads index ranges."""
    config = web_config(database)
    with database.transaction() as session:
        walk = make_campaign(session, config, slug="walk", organizers=("Olga",), channels=SOCIAL)
        _approved(session, config, walk, "Asha", {})
        assert [row.awaiting_consent for row in dashboard.organized(session, "Olga", SOCIAL, NOW)] == [2]
        assert [row.awaiting_consent for row in dashboard.organized(session, "Olga", ("mastodon",), NOW)] == [1]
        assert [row.awaiting_consent for row in dashboard.organized(session, "Olga", (), NOW)] == [0]


# ---------------------------------------------------------------- the page


def _cards(page: str) -> dict[str, str]:
    found = re.findall(r'<li class="cdx-card kudos-home-campaign" data-campaign="([^"]+)">(.*?)</div></li>', page,
                       re.S)
    return dict(found)


def _figure(card: str, name: str) -> str | None:
    found = re.search(rf'<li data-figure="{name}"([^>]*)>', card)
    return found.group(1).strip() if found else None


@pytest.fixture
def client(database: Database) -> FlaskClient:
    _seed(database)
    return web_app(database).test_client()


def test_the_page_shows_each_figure_with_the_way_to_act_on_it(client: FlaskClient) -> None:
    page = sign_in_as(client, "Olga").get("/dashboard").get_data(as_text=True)
    cards = _cards(page)
    assert list(cards) == ["walk-more", "walk"]
    walk, more = cards["walk"], cards["walk-more"]
    assert _figure(walk, "waiting") == 'data-count="3"'
    assert "3 nominations wait for review; the oldest has waited 3 days." in walk
    assert 'href="/review?campaign=walk"' in walk
    assert "1 barnstar posted in the last seven days." in walk
    assert _figure(walk, "not-delivered") is None  # shown only when something was not delivered
    assert "2 social posts wait until their recipients answer whether their awards may be shared." in walk
    assert "No nomination waits for review." in more
    assert _figure(more, "not-delivered") == 'data-skipped="1" data-failed="2"'
    assert "1 barnstar was not posted." in more and "2 deliveries failed and can be retried." in more
    assert 'href="/campaigns/walk-more/deliveries">See the deliveries</a>' in more
    assert "3 social posts wait until their recipients answer" in more
    for path in ("/review?campaign=walk-more", "/campaigns/walk-more/bulk", "/campaigns/walk-more/follow-up",
                 "/campaigns/walk-more/report", "/campaigns/walk-more/suggestions",
                 "/campaigns/walk-more/deliveries", "/campaigns/walk-more/participants"):
        assert f'href="{path}"' in more, path
    assert "walk-b" not in page and "Other 0" not in page
    assert '<a class="cdx-button cdx-button--fake-button cdx-button--fake-button--enabled" href="/campaigns/new">' \
        'Create a campaign</a>' in page


def test_the_oldest_wait_is_said_in_hours_and_then_minutes(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        # The page reads the clock when it is asked: ages from this moment, not from the module's import.
        now = utcnow()
        hours = make_campaign(session, config, slug="hours", organizers=("Olga",))
        _nominate(session, config, hours, "Asha", ago=timedelta(hours=5, minutes=59), now=now)
        minutes = make_campaign(session, config, slug="minutes", organizers=("Olga",))
        _nominate(session, config, minutes, "Bina", ago=timedelta(minutes=59), now=now)
    cards = _cards(sign_in_as(web_app(database).test_client(), "Olga").get("/dashboard").get_data(as_text=True))
    assert "1 nomination waits for review; the oldest has waited 5 hours." in cards["hours"]
    assert "1 nomination waits for review, none of them for an hour yet." in cards["minutes"]


def test_an_admin_sees_what_they_organize_not_every_campaign(database: Database) -> None:
    assert "Ada" in _seed(database).admins
    client = web_app(database).test_client()
    page = sign_in_as(client, "Ada").get("/dashboard").get_data(as_text=True)
    assert _cards(page) == {} and "You do not organize any campaign." in page
    with database.transaction() as session:
        campaigns.add_member(session, campaigns.get(session, "walk"), "Ada", MemberRole.organizer, "Ada")
    assert list(_cards(sign_in_as(client, "Ada").get("/dashboard").get_data(as_text=True))) == ["walk"]


def test_a_closed_campaign_is_marked_and_keeps_its_queue(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        over = make_campaign(session, config, slug="over", organizers=("Olga",), starts=NOW - timedelta(days=9))
        _nominate(session, config, over, "Asha", ago=timedelta(days=2))
        over.ends = NOW - timedelta(days=1)
    card = _cards(sign_in_as(web_app(database).test_client(), "Olga").get("/dashboard").get_data(as_text=True))["over"]
    assert "Not taking nominations" in card and _figure(card, "waiting") == 'data-count="1"'


def test_the_settings_link_leads_to_the_campaigns_settings(client: FlaskClient) -> None:
    page = sign_in_as(client, "Olga").get("/dashboard").get_data(as_text=True)
    assert 'href="/campaigns/walk/settings">settings</a>' in _cards(page)["walk"]
    assert client.get("/campaigns/walk/settings").status_code == 200


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("language", "direction", "words"), [
    ("he", "rtl", "dir=\"rtl\""), ("or", "ltr", "ସମୀକ୍ଷା ପାଇଁ ଅପେକ୍ଷା କରୁଛି"),
])
def test_the_page_in_hebrew_and_odia(client: FlaskClient, language: str, direction: str, words: str) -> None:
    response = sign_in_as(client, "Olga").get(f"/dashboard?uselang={language}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'dir="{direction}"' in page and words in page


def test_a_reminder_counts_the_participants_thanked_in_that_campaign_only(database: Database) -> None:
    """Pat was thanked in another campaign, which does not thank Pat for this one; Ravi was thanked here."""
    config = web_config(database)
    with database.transaction() as session:
        ended = make_campaign(session, config, slug="ended", organizers=("Olga",), starts=NOW - timedelta(days=20))
        elsewhere = make_campaign(session, config, slug="ended-too", organizers=("Oscar",))
        participants.add(session, ended, ["Pat", "Ravi", "Sunil"], ParticipantSource.paste, "Olga")
        _approved(session, config, ended, "Ravi", {})
        _approved(session, config, elsewhere, "Pat", {})
        ended.ends = NOW - timedelta(days=8)
        due = dashboard.reminders(dashboard.organized(session, "Olga", (), NOW), NOW)
        assert [(r.slug, r.days_after, r.unrecognised) for r in due] == [("ended", 7, 2)]


def test_a_campaign_closed_early_is_marked_even_if_its_end_moves_later(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        early = make_campaign(session, config, slug="early", organizers=("Olga",))
        _nominate(session, config, early, "Asha", ago=timedelta(hours=2))
        campaign_settings.close(session, early, "Olga")
        early.ends = NOW + timedelta(days=30)
    card = _cards(sign_in_as(web_app(database).test_client(), "Olga").get("/dashboard").get_data(as_text=True))["early"]
    assert "Not taking nominations" in card and _figure(card, "waiting") == 'data-count="1"'
