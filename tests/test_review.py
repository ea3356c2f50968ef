"""The review queue: what organizers see, approve/reject/edit, approving many, deliveries and retries."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kudos import lanes, nominations, people, review
from kudos.clock import utcnow
from kudos.config import PROJECT_ROOT
from kudos.db import Database
from kudos.models import AuditEvent, Consent, Delivery, DeliveryStatus, Nomination, NominationStatus
from kudos.social.journal import SENDING
from tests.factories import make_campaign, make_nomination
from tests.webtools import sign_in_as, web_app, web_config

OLGA = "Olga Organizer"
# Approving, rejecting and retrying ask the campaign's wiki whether the organizer is blocked there.
pytestmark = pytest.mark.usefixtures("local_test_wikis")


def _client(database: Database, who: str | None = OLGA) -> FlaskClient:
    return sign_in_as(web_app(database).test_client(), who)


def _nomination(database: Database, nomination_id: int) -> Nomination:
    with database.session() as session:
        found = session.get(Nomination, nomination_id)
        assert found is not None
        return found


def _flashes(client: FlaskClient) -> str:
    return client.get("/").get_data(as_text=True)


def _seed_two_campaigns(database: Database) -> dict[str, int]:
    config = web_config(database)
    now = utcnow()
    with database.transaction() as session:
        mine = make_campaign(session, config, slug="mine")
        theirs = make_campaign(session, config, slug="theirs", organizers=("Oscar",))
        english = make_campaign(session, config, slug="english", wiki="enwiki")
        newer = make_nomination(session, config, mine, recipient="Newer", now=now - timedelta(hours=1))
        older = make_nomination(session, config, mine, recipient="Older", now=now - timedelta(hours=5))
        other = make_nomination(session, config, theirs, recipient="Theirs")
        en = make_nomination(session, config, english, recipient="Englishman", now=now - timedelta(hours=3))
        return {"newer": newer.id, "older": older.id, "other": other.id, "en": en.id}


def test_queue_shows_pending_nominations_of_my_campaigns_oldest_first(database: Database) -> None:
    _seed_two_campaigns(database)
    page = _client(database).get("/review").get_data(as_text=True)
    assert page.index("Older") < page.index("Englishman") < page.index("Newer")
    assert "Theirs" not in page


def test_admins_see_every_queue_and_others_none(database: Database) -> None:
    _seed_two_campaigns(database)
    assert "Theirs" in _client(database, "Ada").get("/review").get_data(as_text=True)
    assert _client(database, "Nina").get("/review").status_code == 403
    assert _client(database, None).get("/review").status_code == 302


def test_queue_filters_by_campaign_and_wiki(database: Database) -> None:
    _seed_two_campaigns(database)
    client = _client(database)
    by_campaign = client.get("/review?campaign=english").get_data(as_text=True)
    assert "Englishman" in by_campaign and "Older" not in by_campaign
    by_wiki = client.get("/review?wiki=orwiki").get_data(as_text=True)
    assert "Older" in by_wiki and "Englishman" not in by_wiki
    # A campaign I do not organize shows nothing, not its nominations.
    assert "Theirs" not in client.get("/review?campaign=theirs").get_data(as_text=True)


def test_queue_pages_by_keyset(database: Database) -> None:
    config = web_config(database)
    start = utcnow() - timedelta(hours=20)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        for i in range(review.QUEUE_PAGE + 5):
            # Pairs share a timestamp, so the id must break ties for the pages to neither skip nor repeat.
            make_nomination(session, config, campaign, recipient=f"Person {i:02d}",
                            now=start + timedelta(minutes=i // 2))
    client = _client(database)
    first = client.get("/review").get_data(as_text=True)
    assert first.count('class="nomination"') == review.QUEUE_PAGE == 25  # the README's page size
    more = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(more).get_data(as_text=True)
    assert second.count('class="nomination"') == 5
    seen = [f"Person {i:02d}" for i in range(review.QUEUE_PAGE + 5)]
    assert all((name in first) != (name in second) for name in seen)


def test_approve_posts_deliveries_and_says_what_comes_next(database: Database) -> None:
    ids = _seed_two_campaigns(database)
    client = _client(database)
    response = client.post(f"/review/{ids['older']}/approve", data={"next": "/review?wiki=orwiki"})
    assert response.status_code == 302 and response.headers["Location"] == "/review?wiki=orwiki"
    assert "The barnstar will be posted on User talk:Older within a few minutes." in _flashes(client)
    nomination = _nomination(database, ids["older"])
    assert nomination.status == NominationStatus.approved and nomination.reviewer == OLGA
    with database.session() as session:
        channels = set(session.scalars(select(Delivery.channel).where(Delivery.nomination_id == ids["older"])))
    assert channels == {"talkpage", "wall"}


def test_a_reader_who_chose_a_language_gets_working_actions_in_it(database: Database) -> None:
    ids = _seed_two_campaigns(database)
    client = _client(database)
    page = client.get("/review?uselang=or").get_data(as_text=True)
    older = ids["older"]
    assert f'action="/review/{older}/approve?uselang=or"' in page
    assert f'formaction="/review/{older}/reject?uselang=or"' in page
    response = client.post(f"/review/{older}/approve?uselang=or", data={"next": "/review?uselang=or"})
    assert response.status_code == 302 and response.headers["Location"] == "/review?uselang=or"
    assert _nomination(database, older).status == NominationStatus.approved


def test_approve_with_an_edited_message_is_audited(database: Database) -> None:
    ids = _seed_two_campaigns(database)
    client = _client(database)
    edited = "Wrote three fine articles about the rivers of Odisha."
    client.post(f"/review/{ids['older']}/approve", data={"message": edited})
    nomination = _nomination(database, ids["older"])
    assert nomination.message == edited
    assert nomination.original_message == "Wrote three fine articles about rivers."
    with database.session() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(ids["older"]))))
    assert "nomination.edit" in actions and "nomination.approved" in actions
    assert "with your edit of the message" in _flashes(client)


def test_approving_a_multiline_message_as_shown_records_no_edit(database: Database) -> None:
    # Browsers send a textarea's line breaks as CRLF; the stored message has LF.
    config = web_config(database)
    written = "Wrote three fine articles about rivers.\nAnd photographed the delta."
    with database.transaction() as session:
        nomination_id = make_nomination(session, config, make_campaign(session, config), message=written).id
    client = sign_in_as(web_app(database, csrf=True).test_client(), OLGA)
    page = client.get("/review").get_data(as_text=True)
    row = page.split(f'id="nomination-{nomination_id}"')[1].split("</form>")[0]
    shown = html.unescape(re.search(r'name="message"[^>]*>(.*?)</textarea>', row, re.S).group(1))  # type: ignore[union-attr]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', row))
    response = client.post(f"/review/{nomination_id}/approve",
                           data={**fields, "message": shown.replace("\n", "\r\n"), "reason": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    nomination = _nomination(database, nomination_id)
    assert (nomination.status, nomination.message, nomination.original_message) == (
        NominationStatus.approved, written, None)
    with database.session() as session:
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(nomination_id))))
    assert "nomination.edit" not in actions and "nomination.approved" in actions
    flashed = _flashes(client)
    assert "Approved the nomination of" in flashed and "with your edit" not in flashed


def test_a_bad_edit_is_refused_and_the_typed_text_kept(database: Database) -> None:
    ids = _seed_two_campaigns(database)
    response = _client(database).post(f"/review/{ids['older']}/approve", data={"message": "Too short"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The message is too short" in page and ">Too short</textarea>" in page
    assert _nomination(database, ids["older"]).status == NominationStatus.pending


def _tokens(page: str) -> list[str]:
    return re.findall(r'name="csrf_token" value="([^"]+)"', page)


def test_rows_shown_again_carry_each_readers_own_token_and_language(database: Database) -> None:
    ids = _seed_two_campaigns(database)
    app = web_app(database)
    olga, ada = sign_in_as(app.test_client(), OLGA), sign_in_as(app.test_client(), "Ada")
    first, second, again = (client.get("/review").get_data(as_text=True) for client in (olga, ada, olga))
    for page in (first, second, again):
        forms = page.count('class="form"')
        assert forms >= 2 and len(_tokens(page)) == forms + 2  # each row's form, sign-out, approve selected
        assert len(set(_tokens(page))) == 1  # the reader's own token everywhere, none kept from another reader
    assert set(_tokens(first)) != set(_tokens(second))
    odia = olga.get("/review", headers={"Accept-Language": "or"}).get_data(as_text=True)
    approve = json.loads((PROJECT_ROOT / "i18n" / "or.json").read_text("utf-8"))["kudos-review-approve"]
    assert odia.count(f">{approve}</button>") == first.count('class="form"')
    chosen = olga.get("/review?uselang=or").get_data(as_text=True)
    assert f'action="/review/{ids["older"]}/approve?uselang=or"' in chosen


def test_a_row_changes_when_its_campaign_does_and_typed_text_is_not_kept(database: Database) -> None:
    ids = _seed_two_campaigns(database)
    app = web_app(database)
    client = sign_in_as(app.test_client(), OLGA)
    assert "Campaign mine" in client.get("/review").get_data(as_text=True)
    with database.transaction() as session:
        session.get(Nomination, ids["older"]).campaign.name = "Rivers of Odisha"
    assert "Rivers of Odisha" in client.get("/review").get_data(as_text=True)
    refused = client.post(f"/review/{ids['older']}/approve", data={"message": "Too short"}).get_data(as_text=True)
    assert ">Too short</textarea>" in refused
    assert ">Too short</textarea>" not in client.get("/review").get_data(as_text=True)


def test_reject_needs_a_reason_that_the_nominator_will_see(database: Database) -> None:
    ids = _seed_two_campaigns(database)
    client = _client(database)
    response = client.post(f"/review/{ids['older']}/reject", data={"reason": "   "})
    assert response.status_code == 400
    assert "Give a reason for the rejection" in response.get_data(as_text=True)
    assert _nomination(database, ids["older"]).status == NominationStatus.pending
    response = client.post(f"/review/{ids['older']}/reject", data={"reason": "Not part of this event."})
    assert response.status_code == 302
    nomination = _nomination(database, ids["older"])
    assert (nomination.status, nomination.reason) == (NominationStatus.rejected, "Not part of this event.")
    assert "<bdi>Nina</bdi> will see your reason" in _flashes(client)


def test_nobody_approves_a_nomination_they_made_or_received(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        campaign = make_campaign(session, config, organizers=(OLGA, "Oscar"))
        made = make_nomination(session, config, campaign, nominator=OLGA, recipient="Ravi").id
        received = make_nomination(session, config, campaign, nominator="Nina", recipient=OLGA).id
    client = _client(database)
    page = client.get("/review").get_data(as_text=True)
    assert page.count("You cannot review a nomination you made or received") == 2
    assert f'action="/review/{made}/approve"' not in page
    for nomination_id in (made, received):
        for action in ("approve", "reject"):
            response = client.post(f"/review/{nomination_id}/{action}", data={"reason": "No."})
            assert response.status_code == 403
            assert "You cannot review a nomination you made or received" in response.get_data(as_text=True)
        assert _nomination(database, nomination_id).status == NominationStatus.pending
    # Another organizer of the campaign can.
    assert _client(database, "Oscar").post(f"/review/{made}/approve").status_code == 302


def test_approve_selected_checks_each_and_reports_each(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        theirs = make_campaign(session, config, slug="theirs", organizers=("Oscar",))
        good = make_nomination(session, config, campaign, recipient="Good").id
        own = make_nomination(session, config, campaign, nominator=OLGA, recipient="Mine").id
        done = make_nomination(session, config, campaign, recipient="Done")
        nominations.approve(session, config, done, "Admin")
        foreign = make_nomination(session, config, theirs, recipient="Foreign").id
    client = _client(database)
    response = client.post("/review/approve-selected",
                           data={"ids": [str(good), str(own), str(done.id), str(foreign), "999999"]})
    assert response.status_code == 302
    page = _flashes(client)
    assert "Approved 1 of 5 selected nominations." in page
    assert ("Approved the nomination of <bdi>Good</bdi> (<bdi>Campaign workshop</bdi>): the barnstar will be posted "
            "on User talk:<bdi>Good</bdi> within a few minutes.") in page
    of = "Not approved: the nomination of <bdi>{}</bdi> (<bdi>Campaign {}</bdi>). "
    assert of.format("Mine", "workshop") + "You cannot review a nomination you made" in page
    assert of.format("Done", "workshop") + "This nomination was already approved" in page
    assert of.format("Foreign", "theirs") + "Only the organizers of" in page
    assert "Not approved: nomination 999999 does not exist." in page
    assert _nomination(database, good).status == NominationStatus.approved
    assert _nomination(database, own).status == NominationStatus.pending
    assert _nomination(database, foreign).status == NominationStatus.pending


def test_approve_selected_with_nothing_selected_says_so(database: Database) -> None:
    _seed_two_campaigns(database)
    client = _client(database)
    assert client.post("/review/approve-selected", data={}).status_code == 302
    assert "Select at least one nomination" in _flashes(client)


def _failed_delivery(database: Database) -> int:
    config = web_config(database)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        nomination = make_nomination(session, config, campaign)
        nominations.approve(session, config, nomination, "Admin")
        talk = nomination.deliveries[0]
        talk.status, talk.attempts, talk.last_error = DeliveryStatus.failed, 5, "The page is protected."
        talk.next_attempt_at = utcnow() + timedelta(days=30)
        return talk.id


def test_delivery_status_shows_failures_with_a_retry_button(database: Database) -> None:
    delivery_id = _failed_delivery(database)
    page = _client(database).get("/campaigns/workshop/deliveries").get_data(as_text=True)
    assert 'Gave up after 5 attempts: <span dir="auto">The page is protected.</span>' in page
    assert f'action="/deliveries/{delivery_id}/retry"' in page
    assert page.count(">Retry</button>") == 1  # the wall delivery is pending, not failed


def test_retry_resets_a_failed_delivery_and_audits_it(database: Database) -> None:
    delivery_id = _failed_delivery(database)
    client = _client(database)
    response = client.post(f"/deliveries/{delivery_id}/retry")
    assert response.status_code == 302
    with database.session() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.pending, 0)
        assert delivery.next_attempt_at <= utcnow()
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "delivery.retry"))
        assert event is not None and event.actor == OLGA and event.data["last_error"] == "The page is protected."
    assert "will be tried again within a few minutes" in _flashes(client)
    # Only a failed delivery can be retried.
    assert client.post(f"/deliveries/{delivery_id}/retry").status_code == 409


def test_only_the_campaigns_organizers_see_deliveries_or_retry(database: Database) -> None:
    delivery_id = _failed_delivery(database)
    for who in ("Nina", "Oscar"):
        client = _client(database, who)
        assert client.get("/campaigns/workshop/deliveries").status_code == 403
        assert client.post(f"/deliveries/{delivery_id}/retry").status_code == 403
    with database.session() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None and delivery.status == DeliveryStatus.failed


def test_retry_lets_an_at_most_once_channel_send_again(database: Database) -> None:
    """A chat post whose fate was unknown failed on purpose; the organizer's retry clears that mark."""
    config = web_config(database, channels={"telegram": {"type": "telegram"}})
    with database.transaction() as session:
        campaign = make_campaign(session, config, channels=("telegram",))
        people.set_consent(session, "Ravi", Consent.granted)
        nomination = make_nomination(session, config, campaign)
        nominations.approve(session, config, nomination, "Olga Organizer")
        chat = next(d for d in nomination.deliveries if d.channel == "telegram")
        chat.status, chat.external_id, chat.attempts = DeliveryStatus.failed, SENDING, 3
        review.retry(session, chat, "Olga Organizer")
        assert (chat.status, chat.external_id, chat.attempts) == (DeliveryStatus.pending, None, 0)


def test_admin_page_lists_every_failed_delivery_with_its_error(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        nomination = make_nomination(session, config, make_campaign(session, config))
        nominations.approve(session, config, nomination, "Olga Organizer")
        talk = nomination.deliveries[0]
        talk.status, talk.last_error, talk.attempts = DeliveryStatus.failed, "The page is protected.", 8
        talk_id = talk.id
    client = sign_in_as(web_app(database, config).test_client(), "Ada")
    page = client.get("/admin/deliveries").get_data(as_text=True)
    assert "The page is protected." in page and "(8 attempts)" in page and "<bdi>Ravi</bdi>" in page
    response = client.post(f"/deliveries/{talk_id}/retry", data={"back": "admin"})
    assert response.headers["Location"] == "/admin/deliveries"
    assert "No delivery has failed." in client.get("/admin/deliveries").get_data(as_text=True)


def test_delivery_page_says_what_happened_in_words_people_use(database: Database) -> None:
    config = web_config(database, channels={"telegram": {"type": "telegram"}})
    with database.transaction() as session:
        campaign = make_campaign(session, config, channels=("telegram",))
        people.set_consent(session, "Ana", Consent.refused)
        rows = {}
        for recipient in ("Ananya", "Ana", "Hari"):
            nomination = make_nomination(session, config, campaign, recipient=recipient)
            nominations.approve(session, config, nomination, "Olga Organizer")
            rows[recipient] = {d.channel: d for d in nomination.deliveries}
        posted = rows["Hari"]["talkpage"]
        posted.status = DeliveryStatus.done
        posted.external_url = "https://or.example/w/index.php?title=User_talk:Hari&diff=77"
        rows["Hari"]["wall"].status = DeliveryStatus.done
        retrying = rows["Ana"]["talkpage"]
        retrying.attempts, retrying.last_error = 1, "The wiki is read-only: maintenance."
    page = sign_in_as(web_app(database, config).test_client(), "Olga Organizer").get(
        f"/campaigns/{campaign.slug}/deliveries").get_data(as_text=True)
    assert ("Posted on <bdi>User talk:Hari</bdi> — <a href=\"https://or.example/w/index.php?title=User_talk:Hari"
            "&amp;diff=77\">see the edit</a>") in page
    assert "Waiting for <bdi>Ananya</bdi>'s answer about sharing" in page
    assert "Not shared: the recipient said no to sharing." in page
    assert 'Not yet: <span dir="auto">The wiki is read-only: maintenance.</span> Kudos will try again.' in page
    assert page.count("Waiting to be delivered") == 1
    assert page.count("Shown on the wall once the barnstar is posted") == 2
    assert "Shown on the wall" in page and ">Talk page<" in page and "<bdi>telegram</bdi>" in page
    shown = re.sub(r"<[^>]+>", " ", page)  # the raw values stay out of what people read
    assert not re.search(r"\b(awaiting_consent|talkpage|pending|skipped)\b", shown)


def test_delivery_page_offers_share_links_only_for_consented_shoutouts(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        people.set_consent(session, "Ravi", Consent.granted)
        for recipient in ("Ravi", "Ravan"):
            nomination = make_nomination(session, config, campaign, recipient=recipient)
            nominations.approve(session, config, nomination, "Olga Organizer")
            for delivery in nomination.deliveries:
                delivery.status, delivery.done_at = DeliveryStatus.done, utcnow()
    page = sign_in_as(web_app(database, config).test_client(), "Olga Organizer").get(
        f"/campaigns/{campaign.slug}/deliveries").get_data(as_text=True)
    assert page.count("https://wa.me/?text=") == 1
    assert "https://www.facebook.com/sharer/sharer.php?u=" + quote(config.tool_url + "/shoutouts/", safe="") in page
    assert 'data-copy="share-text-' in page and "Ravan" not in page.split("kudos-share")[1].split("</details>")[0]


def test_delivery_page_says_when_the_campaign_s_wiki_keeps_barnstars_waiting_and_since_when(
        database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        campaign = make_campaign(session, config, slug="odia-photos")  # on orwiki, Odia Wikipedia
        nominations.approve(session, config, make_nomination(session, config, campaign), OLGA)
    client = _client(database)
    assert "Waiting:" not in client.get("/campaigns/odia-photos/deliveries").get_data(as_text=True)

    # Another wiki whose id shares a prefix is paused: not this campaign's concern.
    assert lanes.acquire(database, "or", "job", 60) and lanes.acquire(database, "enwiki", "job", 60)
    lanes.pause(database, "enwiki", "job", "readonly", "The wiki is read-only: switchover", lambda *_: 60.0)
    lanes.pause(database, "or", "job", "unreachable", "No answer", lambda *_: 60.0)
    assert "Waiting:" not in client.get("/campaigns/odia-photos/deliveries").get_data(as_text=True)

    assert lanes.acquire(database, "orwiki", "job", 60)
    lanes.pause(database, "orwiki", "job", "readonly", "The wiki is read-only: <b>Data centre switchover</b>",
                lambda *_: 60.0)
    with database.session() as session:
        since = lanes.states(session)["orwiki"].paused_since
    assert since is not None
    page = client.get("/campaigns/odia-photos/deliveries").get_data(as_text=True)
    assert (f"Waiting: <bdi>Odia Wikipedia</bdi> is read-only (since {since.isoformat(' ', 'minutes')})"
            in page)
    assert "The wiki is read-only: &lt;b&gt;Data centre switchover&lt;/b&gt;" in page  # the wiki's words, escaped
    odia = client.get("/campaigns/odia-photos/deliveries?uselang=or").get_data(as_text=True)
    assert "କେବଳ-ପଢ଼ିବା" in odia and since.isoformat(" ", "minutes") in odia

    lanes.pause(database, "orwiki", "job", "login", "Cannot log in", lambda *_: 60.0)
    page = client.get("/campaigns/odia-photos/deliveries").get_data(as_text=True)
    # The wait began with the first failure, whatever failed since.
    assert f"cannot sign in to <bdi>Odia Wikipedia</bdi> (since {since.isoformat(' ', 'minutes')})" in page
    lanes.resume(database, "orwiki")
    assert "Waiting:" not in client.get("/campaigns/odia-photos/deliveries").get_data(as_text=True)


def test_approve_selected_reports_each_in_the_readers_language(database: Database) -> None:
    config = web_config(database)
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        good = make_nomination(session, config, campaign, recipient="Good").id
        own = make_nomination(session, config, campaign, nominator=OLGA, recipient="Mine").id
    client = _client(database)
    client.post("/review/approve-selected?uselang=or", data={"ids": [str(good), str(own), "999999"]})
    page = client.get("/review?uselang=or").get_data(as_text=True)
    assert "<bdi>Good</bdi>ଙ୍କ ମନୋନୟନ (<bdi>Campaign workshop</bdi>) ଅନୁମୋଦିତ ହେଲା।" in page
    assert "ଅନୁମୋଦିତ ହେଲା ନାହିଁ: <bdi>Mine</bdi>ଙ୍କ ମନୋନୟନ (<bdi>Campaign workshop</bdi>)। ଆପଣ ନିଜେ କରିଥିବା" in page
    assert "ଅନୁମୋଦିତ ହେଲା ନାହିଁ: ମନୋନୟନ 999999 ନାହିଁ।" in page
    assert "Not approved" not in page and "You cannot review" not in page
