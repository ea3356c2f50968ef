"""The demo's data and its stand-in for the wikis where MediaWiki cannot run.

What `make run` itself does (local wikis, the job, one Ctrl-C) is tested in a real browser in
tests/test_demo_run.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from kudos import campaigns, demo, report
from kudos.clock import utcnow
from kudos.db import Database
from kudos.demo import cast
from kudos.demo.data import PHOTO_WALK, WORKSHOP
from kudos.errors import ConfigError
from kudos.models import Delivery, DeliveryStatus, Nomination
from tests.support import TEST_SECRET_KEY, make_config
from tests.webtools import sign_in_as, web_app, web_config

NOWHERE = {wiki_id: {**spec, "api_url": "http://127.0.0.1:9/api.php"}  # nothing listens there
           for wiki_id, spec in cast.wikis_config().items()}
CHANNELS = {cast.SOCIAL_CHANNEL: {"type": "mastodon", "base_url": "http://127.0.0.1:9", "access_token": "x"}}


def seeded(database: Database, **overrides: Any) -> Any:
    config = web_config(database, wikis=NOWHERE, channels=CHANNELS, **overrides)
    with database.transaction() as session:
        demo.seed(session, config)
    return config


def test_the_finished_workshop_has_a_report_with_a_comparison_a_chart_and_a_follow_up_list(
        database: Database) -> None:
    config = seeded(database)
    with database.session() as session:
        workshop = campaigns.get(session, WORKSHOP)
        built = report.build(session, workshop, utcnow())
        assert built.participants == len(cast.PARTICIPANTS)
        assert all("too small" not in sentence for sentence in built.comparisons())
        shares = {(c.group, c.horizon): c.share or 0 for c in built.retention}
        for horizon in report.HORIZONS:  # the thanked kept editing more often: what the report is there to show
            assert shares[(report.RECOGNISED, horizon)] > shares[(report.NOT_RECOGNISED, horizon)]
        assert {f.username for f in report.follow_up(session, workshop)} == set(cast.NOT_RECOGNISED)
    client = sign_in_as(web_app(database, config).test_client(), cast.ORGANIZER)
    page = client.get(f"/campaigns/{WORKSHOP}/report").get_data(as_text=True)
    assert "<svg" in page and "percentage points more of the recognised participants" in page
    assert "No participants are listed" not in page
    deliveries = client.get(f"/campaigns/{WORKSHOP}/deliveries").get_data(as_text=True)
    assert "Posted on <bdi>User talk:Subhashish</bdi>" in deliveries
    assert "Not posted: the recipient is blocked on the wiki." in deliveries


def test_the_odia_photo_walk_holds_barnstars_for_the_job_and_one_waiting_for_consent(database: Database) -> None:
    seeded(database)
    with database.session() as session:
        walk = campaigns.get(session, PHOTO_WALK)
        assert walk.language == "or" and walk.wiki == "orwiki" and "ଫଟୋ" in walk.name
        rows = session.scalars(select(Delivery).join(Nomination).where(Nomination.campaign_id == walk.id)).all()
        talk = {d.nomination.recipient: d.status for d in rows if d.channel == "talkpage"}
        assert talk == {cast.RENAMED_FROM: DeliveryStatus.pending, cast.NOBOTS: DeliveryStatus.pending,
                        "Meera": DeliveryStatus.pending}
        waiting = {d.nomination.recipient for d in rows if d.status == DeliveryStatus.awaiting_consent}
        assert waiting == {cast.RENAMED_FROM, cast.NOBOTS, "Meera"}


def test_without_mediawiki_the_demo_people_stand_in_for_the_wikis(database: Database) -> None:
    config = seeded(database, wikis_offline="MediaWiki is not installed here")
    client = sign_in_as(web_app(database, config).test_client(), cast.NOMINATOR)
    assert "Deliveries are not available in this demo: MediaWiki is not installed here." in \
           client.get("/").get_data(as_text=True)
    form = {"campaign": campaigns.community_slug("enwiki"), "award": "barnstar",
            "message": "Photographed every bridge over the Mahanadi.", "link": "Mahanadi"}
    preview = client.post("/nominate", data={**form, "recipient": "Sanjay"})
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert "Photographed every bridge over the Mahanadi." in preview.get_data(as_text=True)
    assert client.post("/nominate/confirm", data={**form, "recipient": "Sanjay"}).status_code == 302
    with database.session() as session:
        assert session.scalar(select(Nomination.recipient).where(Nomination.recipient == "Sanjay")) == "Sanjay"
    for recipient, said in (("Somebody Else", "There is no user"), (cast.BLOCKED, "is blocked"),
                            ("Bad|Name", "not a possible user name")):
        page = client.post("/nominate", data={**form, "recipient": recipient})
        assert page.status_code == 400 and said in page.get_data(as_text=True), recipient


def test_production_refuses_the_demo_stand_in() -> None:
    with pytest.raises(ConfigError, match="wikis_offline"):
        make_config(environment="production", secret_key=TEST_SECRET_KEY, dev_login=False, wikis_offline="no wiki")
