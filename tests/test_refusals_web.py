"""A refusal is said in the reader's language, on the page that refuses: the 403 page, the review queue's row
that may not be reviewed, and a campaign's name inside the sentence stays text."""

from __future__ import annotations

from kudos.db import Database
from tests.factories import make_campaign, make_nomination
from tests.webtools import sign_in_as, web_app, web_config

HOSTILE = "<b>Walk</b> & “run”"


def _campaign(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        walk = make_campaign(session, config, slug="walk", organizers=("Olga",))
        walk.name = HOSTILE
        make_nomination(session, config, walk, nominator="Olga", recipient="Ravi")


def test_the_403_page_says_why_in_odia_with_the_campaigns_name_as_text(database: Database) -> None:
    _campaign(database)
    client = sign_in_as(web_app(database).test_client(), "Pat")
    response = client.get("/campaigns/walk/settings?uselang=or")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "ଆୟୋଜକମାନେ ଏହାର ସେଟିଂ ବଦଳାଇ ପାରିବେ" in page and "can change its settings" not in page
    assert "&lt;b&gt;Walk&lt;/b&gt; &amp; “run”" in page and "<b>Walk</b>" not in page
    english = client.get("/campaigns/walk/settings?uselang=en").get_data(as_text=True)
    assert "Only the organizers of “&lt;b&gt;Walk&lt;/b&gt; &amp; “run”” can change its settings." in english


def test_the_review_queue_says_in_odia_why_an_organizer_may_not_review_their_own(database: Database) -> None:
    _campaign(database)
    client = sign_in_as(web_app(database).test_client(), "Olga")
    page = client.get("/review?uselang=or").get_data(as_text=True)
    assert "ଅନ୍ୟ ଜଣେ ଆୟୋଜକ ଏହା କରିବେ" in page and "another organizer must do it" not in page
    # Hebrew has no sentence of its own yet: English, marked as English inside the right-to-left page.
    page = client.get("/review?uselang=he").get_data(as_text=True)
    assert 'lang="en" dir="ltr">You cannot review a nomination you made or received' in page
