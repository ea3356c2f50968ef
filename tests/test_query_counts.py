"""Each page runs a fixed number of SQL queries, however many rows it shows (no N+1)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kudos import participants
from kudos.clock import utcnow
from kudos.dashboard import Kept
from kudos.db import Database
from kudos.models import Campaign, Consent, ParticipantSource
from kudos.web import dashboard_cards
from tests.factories import make_campaign, make_nomination
from tests.webtools import count_queries, deliver, sign_in_as, web_app, web_config

PAGES = ["/", "/review", "/feed.atom", "/api/v1/shoutouts", "/campaigns/workshop",
         "/campaigns/workshop/feed.atom", "/campaigns/workshop/deliveries", "/users/orwiki/Person 0",
         "/review?campaign=workshop&wiki=orwiki"]


def _add(database: Database, start: int, stop: int) -> None:
    config = web_config(database)
    with database.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.slug == "workshop"))
        if campaign is None:
            campaign = make_campaign(session, config, organizers=("Olga Organizer", "Oscar"))
        for i in range(start, stop):
            consent = Consent.granted if i % 2 == 0 else None  # half of them anonymous on the wall
            deliver(session, config, campaign, f"Person {i}", consent=consent, reviewer="Oscar")
            make_nomination(session, config, campaign, recipient=f"Waiting {i}")


def _counts(database: Database) -> dict[str, int]:
    client = sign_in_as(web_app(database).test_client(), "Olga Organizer")
    counts = {}
    for page in PAGES:
        with count_queries(database) as queries:
            response = client.get(page)
        assert response.status_code == 200, page
        counts[page] = len(queries)
    return counts


def test_query_count_does_not_grow_with_rows(database: Database) -> None:
    _add(database, 0, 5)
    small = _counts(database)
    _add(database, 5, 50)
    large = _counts(database)
    assert small == large
    # The busiest page, an organizer's delivery list, reads: the signed-in organizer's campaigns, the campaign,
    # its nominations, their deliveries, the recipients' consent (for share links), whether the campaign's
    # wiki is paused, and the session's checks; before them, the session's row (on SQLite a BEGIN and a
    # SELECT, on MariaDB the SELECT).
    assert max(large.values()) <= 9, large


def _organize(database: Database, start: int, stop: int) -> None:
    """Campaigns `start`…`stop - 1` organized by Olga, each with a waiting nomination, a delivered one and an
    unthanked participant; every other one ended nine days ago, so its follow-up reminder shows."""
    config = web_config(database)
    with database.transaction() as session:
        for i in range(start, stop):
            campaign = make_campaign(session, config, slug=f"home-{i}", organizers=("Olga Organizer",),
                                     channels=("mastodon",))
            make_nomination(session, config, campaign, recipient=f"Waiting {i}")
            deliver(session, config, campaign, f"Person {i}")
            participants.add(session, campaign, [f"Participant {i}"], ParticipantSource.paste, "Olga Organizer")
            if i % 2:
                campaign.starts, campaign.ends = utcnow() - timedelta(days=20), utcnow() - timedelta(days=9)


def test_the_dashboard_reads_as_many_rows_for_thirty_campaigns_as_for_one(database: Database) -> None:
    app = web_app(database)
    client = sign_in_as(app.test_client(), "Olga Organizer")

    def count() -> tuple[int, str]:
        with count_queries(database) as queries:
            response = client.get("/dashboard")
        assert response.status_code == 200
        return len(queries), response.get_data(as_text=True)

    _organize(database, 0, 2)
    count()  # the session's first page stores what it keeps from then on
    app.extensions[dashboard_cards.KEPT] = Kept()  # and the figures it counted are forgotten
    counted_one, page = count()
    one, kept_page = count()
    assert page.count('class="cdx-card kudos-home-campaign"') == 2 and page.count('class="reminder"') == 1
    assert kept_page == page
    _organize(database, 2, 30)  # the first two campaigns do not change: their figures stay kept
    counted_thirty, page = count()
    thirty, kept_page = count()
    assert page.count('class="cdx-card kudos-home-campaign"') == 30 and page.count('class="reminder"') == 15
    assert kept_page == page
    # The session's row, whether the person organizes anything (the menu), the organizer's campaigns with their
    # figures' versions, and, for campaigns whose figures are not kept, the figures in two (the week's
    # barnstars apart); on SQLite a BEGIN before the session's row and one before the page's reads.
    assert counted_one == counted_thirty <= 7, (counted_one, counted_thirty)
    assert one == thirty == counted_thirty - 2, (one, thirty)
