"""`python -m wikibot` against a real MediaWiki: barnstars land once, every awkward page is skipped with a reason.

Every check reads the wiki through its API, not our database.
"""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
import unicodedata
from urllib.parse import quote

import pytest

from kudos import consent_links, lanes, people, plaintext
from kudos.config import PROJECT_ROOT
from kudos.models import DeliveryStatus
from kudos.web import create_app, delivery_status
from tests import wikibot_support
from tests.servers.database import ON_MARIADB
from tests.wikibot_support import Job, deliveries, markers_on

# The job's fixtures, shared with the other delivery tests.
delivery_bot = wikibot_support.delivery_bot
job = wikibot_support.job

pytestmark = pytest.mark.mediawiki

# The first test runs the whole job on both databases; the rest are the wiki's and the job's behaviour, on
# MariaDB (the rule: tests/servers/database.py).


def latest(job: Job, title: str) -> dict:
    pages = job.wiki.api(prop="revisions", titles=title, rvprop="ids|flags|comment|user")["query"]["pages"]
    return dict(pages[0]["revisions"][0])


def test_barnstars_land_once_as_bot_edits_and_a_rerun_changes_nothing(job: Job) -> None:
    recipients = job.users(3)
    job.wiki.edit(f"User talk:{recipients[0]}", "== Earlier ==\nAn older thread. --~~~~")
    ids = job.approve(recipients)
    assert job.once() == {"done": 6, "skipped": 0, "retrying": 0, "failed": 0}  # 3 talk pages + 3 walls

    rows = deliveries(job.db, ids)
    for recipient, delivery_id in zip(recipients, ids, strict=True):
        title = f"User talk:{recipient}"
        delivery = rows[delivery_id]
        assert delivery.status == DeliveryStatus.done
        assert markers_on(job.wiki, title, delivery.key) == 1
        revision = latest(job, title)
        assert str(revision["revid"]) == delivery.external_id
        # The diff link names the page, so people (and the deliveries page) see where the barnstar is.
        assert delivery.external_url == (f"{job.wiki.index_url}?title={quote(title.replace(' ', '_'))}"
                                         f"&diff={revision['revid']}")
        assert revision["user"] == job.bot_user
        assert revision["minor"] is False  # a minor bot edit would notify nobody
        assert f"https://kudos.example.org/shoutouts/{delivery.nomination_id}" in revision["comment"]
    changes = job.wiki.api(list="recentchanges", rcuser=job.bot_user, rcprop="title|flags", rclimit=50)
    flags = {c["title"]: c for c in changes["query"]["recentchanges"]}
    assert all(flags[f"User talk:{r}"]["bot"] for r in recipients)
    assert "An older thread" in job.wiki.api(prop="revisions", titles=f"User talk:{recipients[0]}",
                                             rvprop="content", rvslots="main")["query"]["pages"][0][
        "revisions"][0]["slots"]["main"]["content"]

    before = {r: latest(job, f"User talk:{r}")["revid"] for r in recipients}
    assert job.once() == {"done": 0, "skipped": 0, "retrying": 0, "failed": 0}
    assert {r: latest(job, f"User talk:{r}")["revid"] for r in recipients} == before
    assert job.path.parent.joinpath("wikibot.health").exists()


@ON_MARIADB
def test_every_case_that_must_not_be_posted_is_skipped_with_a_reason(job: Job) -> None:
    nobots, optout, category, allowed_other, blocked, kudos_out, new_name = job.users(7)
    wiki = job.wiki
    wiki.edit(f"User talk:{nobots}", "Hello\n{{nobots}}")
    wiki.edit(f"User talk:{optout}", "{{bots|optout=kudos}}")
    wiki.edit(f"User talk:{category}", "Busy.\n[[Category:Opted-out of message delivery]]")
    wiki.edit(f"User talk:{allowed_other}", "{{bots|allow=SomeOtherBot}}")
    wiki.block(blocked)
    old_name = f"Old{new_name}"  # renamed: the old account is gone, its talk page redirects
    wiki.redirect_user_talk(old_name, new_name)
    missing = "Nobody" + new_name
    recipients = [nobots, optout, category, allowed_other, blocked, kudos_out, old_name, missing]
    ids = dict(zip(recipients, job.approve(recipients), strict=True))
    with job.db.transaction() as session:
        people.set_opt_out(session, kudos_out, True)
    pages_before = {r: markers_on(wiki, f"User talk:{r}", "") for r in recipients}

    result = job.once()
    assert (result["skipped"], result["failed"], result["retrying"]) == (7 * 2, 0, 0)
    rows = deliveries(job.db, list(ids.values()))
    reasons = {r: rows[ids[r]].last_error or "" for r in recipients}
    assert "{{nobots}}" in reasons[nobots]
    assert "optout" in reasons[optout]
    assert "Opted-out of message delivery" in reasons[category]
    assert "allow" in reasons[allowed_other]
    assert "blocked" in reasons[blocked]
    assert "opted out" in reasons[kudos_out]
    assert "does not exist" in reasons[missing]
    for recipient in recipients:
        if recipient != old_name:
            assert rows[ids[recipient]].status == DeliveryStatus.skipped, recipient
            assert markers_on(wiki, f"User talk:{recipient}", "") == pages_before[recipient]
    # The redirect left by the rename is followed: the barnstar is on the new talk page, once.
    assert rows[ids[old_name]].status == DeliveryStatus.done
    assert markers_on(wiki, f"User talk:{new_name}", rows[ids[old_name]].key) == 1
    assert wiki.api(prop="info", titles=f"User talk:{old_name}")["query"]["pages"][0].get("redirect")
    # The deliveries page says what happened in the words people use, with the diff of the redirect's target.
    with create_app(job.config, job.db).test_request_context("/"):
        said = {r: str(delivery_status.sentence(rows[ids[r]])) for r in recipients}
    revid = latest(job, f"User talk:{new_name}")["revid"]
    assert said[old_name] == (f"Posted on <bdi>User talk:{new_name}</bdi> (redirect from <bdi>User talk:{old_name}"
                              f"</bdi>) — <a href=\"{wiki.index_url}?title=User_talk%3A{quote(new_name)}&amp;"
                              f"diff={revid}\">see the edit</a>")
    assert said[nobots] == "Not posted: the talk page has {{nobots}}."
    assert said[optout] == said[allowed_other] == "Not posted: the talk page asks bots like Kudos not to post there."
    assert said[blocked] == "Not posted: the recipient is blocked on the wiki."
    assert said[kudos_out] == "Not posted: the recipient has opted out of Kudos awards."
    assert said[missing] == "Not posted: there is no such user on the wiki."
    assert said[category] == ('Not posted: <span dir="auto">User talk:' + category +
                              ' is in Category:Opted-out of message delivery.</span>')


INJECTIONS = [
    "Thanks! {{subst:Welcome}} {{Delete}} {{PAGENAME}}",
    "Nice work [[Category:Vandals]] [[:Category:X]]",
    "Signed ~~~~ and ~~~ and ~~~~~",
    "Escape </nowiki> [[Main Page]] <nowiki> {{x}}",
    "New section\n== Heading ==\n=== Sub ===",
    "__NOTOC__ __NOINDEX__ __FORCETOC__",
    "Cite <ref>[[Foo]]</ref> <references />",
    "{| class=wikitable\n|-\n| cell || cell\n|}",
    "Hello [[User:Someone]] and [[User talk:Someone|ping]]",
    "Visit [http://evil.example x] or http://evil.example/bare or //evil.example",
    "RTL: שלום עליכם مرحبا ‮reversed‬ combining: e\u0301 a\u0300\u0301 Z\u0336",
    "<script>alert(1)</script> <span style=\"color:red\">red</span> &lt;b&gt; &amp; ISBN 0123456789",
    "* list\n# numbered\n: indent\n; term\n----\n pre",
]


@ON_MARIADB
def test_injection_corpus_renders_as_plain_text(job: Job) -> None:
    recipients = job.users(len(INJECTIONS), "Inj")
    ids = job.approve(recipients, INJECTIONS)
    assert job.once()["done"] == 2 * len(INJECTIONS)
    rows = deliveries(job.db, ids)
    for recipient, message, delivery_id in zip(recipients, INJECTIONS, ids, strict=True):
        parsed = job.wiki.api(action="parse", page=f"User talk:{recipient}",
                              prop="templates|categories|links|externallinks|sections|text")["parse"]
        assert parsed["templates"] == [], message
        assert {c["category"] for c in parsed["categories"]} <= {"Pages_with_broken_file_links"}, message
        assert {link["title"] for link in parsed["links"]} == {
            "User:Nina", "User:Olga Organizer", f"User:{job.bot_user}", f"User talk:{job.bot_user}"}, message
        nomination = rows[delivery_id].nomination_id
        consent = consent_links.consent_url(job.config, rows[delivery_id].nomination)
        shoutout = f"https://kudos.example.org/shoutouts/{nomination}"
        assert sorted(parsed["externallinks"]) == sorted([consent, shoutout]), message
        assert len(parsed["sections"]) == 1, message
        page_html = parsed["text"]
        assert "<script" not in page_html and "<ol" not in page_html and "<pre" not in page_html
        visible = html.unescape(re.sub(r"<[^>]+>", "", page_html.replace("<br />", "\n")))
        for line in plaintext.clean(message).strip().splitlines():  # as stored: the bidi override is gone
            line = unicodedata.normalize("NFC", line.strip())  # MediaWiki stores text in NFC
            assert line in visible, (message, line)


@ON_MARIADB
def test_while_kudos_is_read_only_the_job_stays_up_idle_with_a_fresh_heartbeat(job: Job) -> None:
    """A continuous job that exited would be restarted and mail its maintainers again and again."""
    (recipient,) = job.users(1)
    ids = job.approve([recipient])
    health = job.folder / "wikibot.health"
    settings = {**job.settings, "read_only_reason": "Moving to a new database",
                "delivery": {**job.settings["delivery"], "interval": 0.2}}
    path = wikibot_support.write_config(job.folder, settings)
    process = subprocess.Popen([sys.executable, "-m", "wikibot"], cwd=PROJECT_ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "KUDOS_CONFIG": str(path)})
    try:
        deadline = time.monotonic() + 30
        while not health.exists():
            assert time.monotonic() < deadline and process.poll() is None, "no heartbeat"
            time.sleep(0.05)
        beats = {health.stat().st_mtime_ns}
        while len(beats) < 4:  # the heartbeat keeps being renewed, not written once
            assert time.monotonic() < deadline and process.poll() is None, "the job stopped renewing its heartbeat"
            time.sleep(0.1)
            beats.add(health.stat().st_mtime_ns)
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err[-2000:]
    assert 'event=read_only reason="Moving to a new database"' in err
    assert wikibot_support.summary(out) == {"done": 0, "skipped": 0, "retrying": 0, "failed": 0}
    delivery = deliveries(job.db, ids)[ids[0]]
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.pending, 0)
    assert markers_on(job.wiki, f"User talk:{recipient}", delivery.key) == 0


@ON_MARIADB
def test_loop_mode_touches_its_health_file_and_stops_on_sigterm(job: Job) -> None:
    health = job.folder / "wikibot.health"
    looping = job.with_delivery(interval=30)
    process = subprocess.Popen([sys.executable, "-m", "wikibot"], cwd=PROJECT_ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "KUDOS_CONFIG": str(looping.path)})
    try:
        deadline = time.monotonic() + 60
        while not health.exists():
            assert time.monotonic() < deadline and process.poll() is None, process.stderr
            time.sleep(0.1)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert time.monotonic() - started < 10  # it did not sleep out its 30 s interval
    assert wikibot_support.summary(out) == {"done": 0, "skipped": 0, "retrying": 0, "failed": 0}


@ON_MARIADB
def test_a_wrong_bot_password_claims_nothing_and_the_wiki_waits_with_the_reason(job: Job) -> None:
    (recipient,) = job.users(1)
    ids = job.approve([recipient])
    # A pywikibot folder of its own, so no session cookie saved by an earlier run logs it in anyway.
    wrong = job.with_bot(password="not-the-bot-password-" + "x" * 12, pywikibot_dir=str(job.folder / "pwb-wrong"))
    assert wrong.once() == {"done": 0, "skipped": 0, "retrying": 0, "failed": 0}
    delivery = deliveries(job.db, ids)[ids[0]]
    # Never claimed: the login comes first, so the delivery is neither held by a lease nor charged an attempt.
    assert (delivery.status, delivery.attempts, delivery.claimed_by) == (DeliveryStatus.pending, 0, None)
    with job.db.session() as session:
        lane = lanes.paused(session, wikibot_support.WIKI_ID)
    assert lane is not None and lane.paused_kind == "login" and lane.holder is None
    assert (lane.paused_reason or "").startswith("Cannot connect to localwiki")
    assert "Incorrect username or password" in (lane.paused_reason or "")
    assert markers_on(job.wiki, f"User talk:{recipient}", delivery.key) == 0
