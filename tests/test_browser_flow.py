"""The whole journey of a barnstar in a real browser, against a live server and the real local MediaWiki.

Nominate (with a mistake, then corrected), preview as the wiki renders it, confirm; the organizer approves;
the nominator sees it approved; the delivery job (`python -m wikibot --once`, a subprocess, as in
production) posts it; the nominator sees "Delivered" with the diff, and once the recipient consents through
the link in the barnstar, the wall names them. Screenshots of each step go to test-output/screenshots.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kudos import migrate
from kudos.db import Database
from kudos.web import create_app
from tests.browser_support import capture, new_context, sign_in, sign_out
from tests.factories import make_campaign
from tests.servers.browser import serving
from tests.support import make_config
from tests.wiki_people import create_accounts
from tests.wikibot_support import WIKI_ID, job_settings, run_job, summary, write_config

pytestmark = pytest.mark.mediawiki

WIKI_NAME = "Local test wiki"
NOMINATOR, RECIPIENT, ORGANIZER = "Flow Nina", "Flow Ravi", "Flow Olga"
NEWCOMER = "Flow Mina"  # thanked in the campaign the organizer makes
CAMPAIGN = "flow"
MESSAGE = "Rewrote the article about the Mahanadi river, with sources for every paragraph."


@dataclass
class Site:
    base: str
    database: Database
    wiki: Any
    folder: Path
    revid: int


@pytest.fixture(scope="module")
def site(chromium: Any, local_wiki: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app on a migrated SQLite file, a campaign on the local wiki organized by Olga, its people on the wiki."""
    create_accounts(local_wiki, [NOMINATOR, RECIPIENT, ORGANIZER, NEWCOMER])
    revid = local_wiki.edit("Mahanadi", "The Mahanadi is a river in Odisha.", user=RECIPIENT)
    local_wiki.edit("Flow workshop", "Notes of the workshop.", user=ORGANIZER)  # the creation bar: one edit
    folder = tmp_path_factory.mktemp("browser-flow")
    database = Database(f"sqlite:///{folder / 'kudos.sqlite'}")
    migrate.upgrade(database.url)
    config = make_config(database_url=database.url,
                         wikis={WIKI_ID: {"api_url": local_wiki.api_url, "language": "en", "name": WIKI_NAME}},
                         campaign_creation={"min_edits": 1, "min_account_age_days": 0})
    with database.transaction() as session:
        make_campaign(session, config, slug=CAMPAIGN, wiki=WIKI_ID, organizers=(ORGANIZER,))
    with serving(create_app(config, database)) as base:
        yield Site(base, database, local_wiki, folder, revid)
    database.engine.dispose()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = new_context(chromium)
    try:
        yield context.new_page()
    finally:
        context.close()


def _deliver(site: Site, bot: Any) -> dict[str, int]:
    """One run of the delivery job on the app's database, its consent links pointing at the live server."""
    settings = job_settings(site.database.url, site.wiki.api_url, bot.login, bot.password, site.folder)
    settings["tool_url"] = site.base
    settings["wikis"][WIKI_ID]["name"] = WIKI_NAME
    return summary(run_job(write_config(site.folder, settings), "--once").stdout)


def _talk_page(wiki: Any, user: str) -> str:
    pages = wiki.api(prop="revisions", rvprop="content", rvslots="main", titles=f"User talk:{user}")["query"]["pages"]
    return str(pages[0]["revisions"][0]["slots"]["main"]["content"])


def test_nominate_review_deliver_and_share(site: Site, page: Any, local_wiki: Any, screenshot_dir: Path) -> None:
    problems: list[str] = []
    base = site.base

    # The nominator makes a mistake: a recipient who has no account on the wiki.
    sign_in(page, base, NOMINATOR)
    page.goto(f"{base}/nominate?campaign={CAMPAIGN}")
    page.fill("#recipient", "Flow Nobody")
    page.check("input[name=award][value=teamwork]")
    page.fill("#message", MESSAGE)
    page.fill("#link", "Mahanadi")
    page.click("form.kudos-nominate-form button[type=submit]")
    assert f"There is no user “Flow Nobody” on {WIKI_NAME}; check the spelling." in page.inner_text("main")
    # Everything typed is still there, so only the mistake needs fixing.
    assert page.input_value("#recipient") == "Flow Nobody"
    assert page.input_value("#message") == MESSAGE
    assert page.input_value("#link") == "Mahanadi"
    assert page.is_checked("input[name=award][value=teamwork]")
    problems += capture(page, screenshot_dir, "flow-nominate-error")

    # Corrected, the preview shows the section as the wiki's parser renders it.
    page.fill("#recipient", RECIPIENT)
    page.click("form.kudos-nominate-form button[type=submit]")
    assert page.locator("h1").inner_text() == "Check your nomination"
    preview = page.locator(".talk-preview")
    assert "The Teamwork Barnstar" in preview.inner_text() and MESSAGE in preview.inner_text()
    assert preview.locator("h2").count() >= 1  # wiki markup became HTML: the parser did its work
    problems += capture(page, screenshot_dir, "nominate-preview")
    page.click("button:has-text('Confirm and send')")
    assert page.url == f"{base}/me"
    assert "now waits for the organizers" in page.inner_text("main")
    assert "Waiting for review" in page.locator("li.nomination", has_text=RECIPIENT).inner_text()
    problems += capture(page, screenshot_dir, "flow-me-pending")
    sign_out(page)

    # The organizer approves it from the queue.
    sign_in(page, base, ORGANIZER)
    page.goto(f"{base}/review")
    item = page.locator("li.nomination", has_text=RECIPIENT)
    assert MESSAGE in item.inner_text()
    problems += capture(page, screenshot_dir, "flow-review-pending")
    item.get_by_role("button", name="Approve", exact=True).click()
    assert "Nothing is waiting for review here." in page.inner_text("main")
    problems += capture(page, screenshot_dir, "flow-review-approved")
    sign_out(page)

    # The nominator sees it approved; nothing is on the talk page or the wall yet.
    sign_in(page, base, NOMINATOR)
    page.goto(f"{base}/me")
    mine = page.locator("li.nomination", has_text=RECIPIENT)
    assert "Approved; the barnstar will be posted shortly" in mine.inner_text()
    problems += capture(page, screenshot_dir, "flow-me-approved")

    # The delivery job posts the barnstar.
    bot = local_wiki.create_bot("FlowKudosBot")
    assert _deliver(site, bot) == {"done": 2, "skipped": 0, "retrying": 0, "failed": 0}  # talk page and wall
    page.reload()
    mine = page.locator("li.nomination", has_text=RECIPIENT)
    assert "Delivered" in mine.inner_text()
    diff = mine.get_by_role("link", name="see the edit").get_attribute("href") or ""
    revision = local_wiki.api(prop="info", titles=f"User talk:{RECIPIENT}")["query"]["pages"][0]["lastrevid"]
    assert diff == f"{local_wiki.index_url}?title=User_talk%3A{RECIPIENT.replace(' ', '_')}&diff={revision}"
    problems += capture(page, screenshot_dir, "flow-me-delivered")
    sign_out(page)

    # Before consent the wall thanks "a Local test wiki editor" and keeps the message private.
    page.goto(f"{base}/")
    wall = page.inner_text("main")
    assert f"An editor on {WIKI_NAME} was thanked" in wall and RECIPIENT not in wall and MESSAGE not in wall

    # The recipient follows the consent link in the barnstar, signs in, and agrees.
    talk = _talk_page(local_wiki, RECIPIENT)
    assert MESSAGE in talk
    link = re.search(re.escape(base) + r"/consent/[A-Za-z0-9_.\-]+", talk)
    assert link, talk
    page.goto(link.group(0))
    assert "/login" in page.url  # a consent link never answers for anyone who is not signed in
    page.fill("#username", RECIPIENT)
    page.click("form.kudos-form button[type=submit]")
    assert page.url == link.group(0)
    assert page.locator("h1").inner_text() == "Share your award?"
    problems += capture(page, screenshot_dir, "flow-consent")
    page.check("input[name=choice][value=granted]")
    page.click("button:has-text('Save my answer')")
    sign_out(page)

    page.goto(f"{base}/")
    wall = page.locator("main")
    assert RECIPIENT in wall.inner_text() and MESSAGE in wall.inner_text()
    problems += capture(page, screenshot_dir, "flow-wall")
    assert not problems, "\n".join(problems)


def _card(page: Any, slug: str) -> Any:
    return page.locator(f"li.kudos-home-campaign[data-campaign='{slug}']")


def _figure(page: Any, slug: str, figure: str) -> str:
    return str(_card(page, slug).locator(f"[data-figure='{figure}']").get_attribute("data-count"))


def test_an_organizer_creates_a_campaign_and_sees_it_work(site: Site, page: Any, local_wiki: Any,
                                                          screenshot_dir: Path) -> None:
    """The organizer's whole path: from the dashboard to a new campaign, a nomination into it by someone else
    found through the directory, the approval, the barnstar posted, and the dashboard's figures following."""
    problems: list[str] = []
    base, slug = site.base, "flow-saturday"
    sign_in(page, base, ORGANIZER)
    page.goto(f"{base}/dashboard")
    page.click("#kudos-create-campaign a")
    page.wait_for_url(f"{base}/campaigns/new")
    page.wait_for_load_state()  # the short name is suggested by a script
    page.fill("#name", "Flow Saturday")
    assert page.input_value("#slug") == slug
    page.select_option("#wiki", WIKI_ID)
    page.check("input[name=kind][value=workshop]")
    page.fill("#starts", "2026-01-01T00:00")
    page.fill("#ends", "2099-12-31T23:00")
    page.click("form.kudos-form button[type=submit]")
    assert page.url.startswith(f"{base}/campaigns/{slug}/settings"), page.inner_text("main")[:800]
    page.goto(f"{base}/dashboard")
    assert _figure(page, slug, "waiting") == "0" and _figure(page, slug, "delivered-week") == "0"
    sign_out(page)

    # Someone else finds it in the directory and nominates into it; the form has it chosen already.
    sign_in(page, base, NOMINATOR)
    page.goto(f"{base}/campaigns")
    page.locator(f"li.kudos-directory-campaign[data-campaign='{slug}']").get_by_role(
        "link", name="Nominate someone").click()
    page.fill("#recipient", NEWCOMER)
    page.fill("#message", "Your first article at the workshop, with three good sources.")
    page.click("form.kudos-nominate-form button[type=submit]")
    assert page.locator("h1").inner_text() == "Check your nomination", page.inner_text("main")[:800]
    page.click("button:has-text('Confirm and send')")
    assert page.url == f"{base}/me"
    sign_out(page)

    # The organizer sees it waiting, approves it, and the barnstar is posted.
    sign_in(page, base, ORGANIZER)
    page.goto(f"{base}/dashboard")
    assert _figure(page, slug, "waiting") == "1"
    problems += capture(page, screenshot_dir, "flow-dashboard-waiting")
    _card(page, slug).get_by_role("link", name="Review").first.click()
    page.locator("li.nomination", has_text=NEWCOMER).get_by_role("button", name="Approve", exact=True).click()
    assert _deliver(site, local_wiki.create_bot("FlowHomeBot"))["done"] >= 2  # talk page and wall
    assert "Your first article at the workshop" in _talk_page(local_wiki, NEWCOMER)
    page.goto(f"{base}/dashboard")
    assert _figure(page, slug, "waiting") == "0" and _figure(page, slug, "delivered-week") == "1"
    problems += capture(page, screenshot_dir, "flow-dashboard-delivered")
    assert not problems, "\n".join(problems)
