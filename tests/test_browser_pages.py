"""Every page in a real browser at desktop and phone width, with a screenshot of each.

PAGES is generated against Flask's URL map: a new GET route without a screenshot case (or a reason why it
is not an HTML page) fails `test_every_page_has_a_screenshot_case`. Each case checks what every page owes
its readers: no sideways scrolling on a 375 px phone, exactly one h1, a label for every input.
The preview page needs the wiki's parser, so tests/test_browser_flow.py captures it during the flow.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kudos import campaigns, consent_links, demo, migrate, nominations, participants
from kudos.clock import utcnow
from kudos.db import Database
from kudos.demo.data import PHOTO_WALK, WORKSHOP
from kudos.models import DeliveryStatus, Nomination, ParticipantSource, Suggestion
from kudos.web import create_app
from tests.browser_support import capture, new_context, sign_in, sign_out
from tests.servers.browser import VIEWPORTS, serving
from tests.support import make_config

ANONYMOUS, NOMINATOR, ORGANIZER, RECIPIENT = None, "Demo User", "Demo Organizer", "Subhashish"
EVENT = WORKSHOP  # finished: its report, follow-up list and participants have the most to show
OPEN = PHOTO_WALK  # open for nominations
# Long unbroken text is what pushes a phone page sideways; the seed puts some on every kind of page.
LONG_WORD = "Mahanadi_" + "river_delta_" * 12
LONG_MESSAGE = f"Rewrote https://or.wikipedia.org/wiki/{LONG_WORD} with sources for every paragraph."


@dataclass(frozen=True)
class Shot:
    name: str  # the screenshot's file name: <name>-<viewport>.png
    path: str  # may name seeded objects: {delivered}, {consent}
    who: str | None  # signed in as, or None
    status: int = 200


PAGES: dict[str, Shot | str] = {
    "wall.index": Shot("wall", "/", ANONYMOUS),
    "wall.campaign": Shot("campaign-wall", f"/campaigns/{EVENT}", ANONYMOUS),
    "wall.person": Shot("person-wall", f"/users/orwiki/{RECIPIENT}", ANONYMOUS),
    "wall.shoutout": Shot("shoutout", "/shoutouts/{delivered}", ANONYMOUS),
    "directory.index": Shot("campaigns", "/campaigns", ANONYMOUS),
    "auth.login": Shot("login", "/login", ANONYMOUS),
    "nominate.form": Shot("nominate", f"/nominate?campaign={OPEN}", NOMINATOR),
    "me.index": Shot("me", "/me", NOMINATOR),
    "consent.ask": Shot("consent", "/consent/{consent}", RECIPIENT),
    "review.queue": Shot("review", "/review", ORGANIZER),
    "review.deliveries": Shot("deliveries", f"/campaigns/{OPEN}/deliveries", ORGANIZER),
    "bulk.form": Shot("bulk", f"/campaigns/{OPEN}/bulk", ORGANIZER),
    "organizers.index": Shot("organizers", f"/campaigns/{EVENT}/organizers", ORGANIZER),
    "insight.participants_index": Shot("participants", f"/campaigns/{EVENT}/participants", ORGANIZER),
    "insight.follow_up": Shot("follow-up", f"/campaigns/{EVENT}/follow-up", ORGANIZER),
    "insight.campaign_report": Shot("report", f"/campaigns/{EVENT}/report", ORGANIZER),
    "insight.dashboard": Shot("dashboard", "/dashboard", ORGANIZER),
    "suggestions.index": Shot("suggestions", f"/campaigns/{OPEN}/suggestions", ORGANIZER),
    "campaign_form.new": Shot("campaign-new", "/campaigns/new", ORGANIZER),
    "campaign_form.settings": Shot("campaign-settings", f"/campaigns/{OPEN}/settings", ORGANIZER),
    "admin.failed": Shot("failed-deliveries", "/admin/deliveries", ORGANIZER),  # the organizer is also an admin here
    "privacy.policy": Shot("privacy", "/privacy", ANONYMOUS),
    "privacy.confirm_delete": Shot("delete-confirmation", "/me/delete", NOMINATOR),
    # Not pages a person reads:
    "static": "style sheets",
    "health.healthz": "plain-text health check",
    "wall.feed": "Atom feed",
    "wall.campaign_feed": "Atom feed",
    "api.shoutouts": "JSON API",
    "insight.campaign_report_csv": "CSV download",
    "privacy.download": "JSON download",
    "campaign_form.slug_check": "JSON answer for the creation form's script",
    "auth.oauth_callback": "returns from the wiki's OAuth sign-in with a redirect (404 without an OAuth consumer)",
}
# Pages that no GET route renders on its own.
ERROR_PAGES = [
    Shot("error-403", "/review", NOMINATOR, status=403),
    Shot("error-404", "/no-such-page", ANONYMOUS, status=404),
    Shot("error-404-campaign", "/campaigns/no-such-campaign", ANONYMOUS, status=404),
]
SHOTS = [shot for shot in PAGES.values() if isinstance(shot, Shot)] + ERROR_PAGES


def _seed(database: Database, config: Any) -> dict[str, object]:
    """The demo data, plus long text on the wall, in the queue and on My kudos, and event participants."""
    with database.transaction() as session:
        demo.seed(session, config)
        event, walk = campaigns.get(session, EVENT), campaigns.get(session, OPEN)
        delivered = nominations.nominate(session, config, campaign=walk, nominator=NOMINATOR, recipient=RECIPIENT,
                                         award="teamwork", message=LONG_MESSAGE, link=LONG_WORD)
        nominations.approve(session, config, delivered, "Sailesh")
        for delivery in delivered.deliveries:
            delivery.status, delivery.done_at = DeliveryStatus.done, utcnow() - timedelta(minutes=5)
        nominations.nominate(session, config, campaign=walk, nominator=NOMINATOR, recipient="Rohit",
                             award="diligence", message=LONG_MESSAGE, link=LONG_WORD)
        participants.add(session, event, ["Priyanka", "Rohit", "Subhashish"], ParticipantSource.paste, ORGANIZER)
        session.add(Suggestion(  # a suggestion whose edit has a long title and summary, as the job stores them
            campaign_id=walk.id, user_id=777, username="Sanjay", source="participant", editcount=120, days=7, edits=30,
            pages=4, bytes_added=123456, reverted=1, eligible_since=utcnow(), refreshed_at=utcnow(),
            notable=[{"revid": 9_999_999, "title": LONG_WORD, "sizediff": 123456, "comment": LONG_MESSAGE,
                      "timestamp": "2026-12-01T10:00:00Z", "reverted": False, "new": True}]))
        session.flush()
        received = session.scalars(select(Nomination).where(Nomination.recipient == RECIPIENT)
                                   .order_by(Nomination.id)).first()
        assert received is not None
        return {"delivered": delivered.id, "consent": consent_links.token_for(config, received.id, RECIPIENT)}


@pytest.fixture(scope="module")
def site(chromium: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, object]]]:
    """The demo site, served for this module: (base URL, values for the paths' placeholders)."""
    folder = tmp_path_factory.mktemp("browser-pages")
    database = Database(f"sqlite:///{folder / 'kudos.sqlite'}")
    migrate.upgrade(database.url)
    config = make_config(database_url=database.url, admins=[ORGANIZER])
    ids = _seed(database, config)
    with serving(create_app(config, database)) as base:
        yield base, ids
    database.engine.dispose()


@pytest.fixture(scope="module")
def pages(chromium: Any, site: tuple[str, dict[str, object]]) -> Iterator[dict[str | None, Any]]:
    """One browser tab per person, signed in once through the demo login form."""
    base, _ids = site
    contexts, tabs = [], {}
    for who in (ANONYMOUS, NOMINATOR, ORGANIZER, RECIPIENT):
        context = new_context(chromium)
        contexts.append(context)
        tabs[who] = context.new_page()
        if who is not None:
            sign_in(tabs[who], base, who)
    yield tabs
    for context in contexts:
        context.close()


def _get_routes() -> set[str]:
    app = create_app(make_config())
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}


def test_every_page_has_a_screenshot_case() -> None:
    routes = _get_routes()
    missing = sorted(routes - set(PAGES))
    assert not missing, f"GET routes without a screenshot case in PAGES: {missing}"
    assert not sorted(set(PAGES) - routes), "PAGES entries for routes that no longer exist"


@pytest.mark.parametrize("shot", SHOTS, ids=lambda shot: shot.name)
def test_page_at_desktop_and_phone_width(site: tuple[str, dict[str, object]], pages: dict[str | None, Any],
                                         screenshot_dir: Path, shot: Shot) -> None:
    base, ids = site
    page = pages[shot.who]
    response = page.goto(base + shot.path.format(**ids))
    assert response is not None and response.status == shot.status, page.inner_text("body")[:500]
    problems = capture(page, screenshot_dir, shot.name)
    assert not problems, "\n".join(problems)
    for viewport in ("desktop", "phone"):
        assert (screenshot_dir / f"{shot.name}-{viewport}.png").stat().st_size > 1000


def test_demo_sign_in_and_out(chromium: Any, site: tuple[str, dict[str, object]]) -> None:
    base, _ids = site
    context = new_context(chromium)
    try:
        page = context.new_page()
        sign_in(page, base, "Browser Tester")
        assert "Signed in as Browser Tester" in page.inner_text("main")
        sign_out(page)
        assert page.goto(base + "/me") is not None and "/login" in page.url  # signed out: My kudos asks again
    finally:
        context.close()


# Where keyboard focus is: the field's id (or name, for radio buttons) inside the nomination form.
FOCUSED = """() => { const el = document.activeElement;
  if (!el || !el.closest('form.kudos-nominate-form')) return el ? el.tagName.toLowerCase() + '#' + el.id : null;
  return el.tagName === 'BUTTON' ? 'button:' + el.textContent.trim() : (el.type === 'radio' ? el.name + '=' + el.value
         : el.id); }"""


def test_nominate_form_by_keyboard_alone(site: tuple[str, dict[str, object]], pages: dict[str | None, Any]) -> None:
    base, _ids = site
    page = pages[NOMINATOR]
    page.goto(f"{base}/nominate?campaign={OPEN}")
    # The first Tab reaches the skip link; following it puts focus on the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "kudos-skip-link"
    box = page.locator(".kudos-skip-link").bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link stays off screen"
    page.keyboard.press("Enter")
    assert page.url.endswith("#content")
    assert page.evaluate(FOCUSED) == "main#content"
    # From there, Tab visits every field of the form in reading order, then its button.
    stops = []
    for _ in range(12):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
        if stops[-1].startswith("button:"):
            break
    checked = page.locator("form.kudos-nominate-form input[name=award]:checked").get_attribute("value")
    assert stops == ["campaign", "recipient", f"award={checked}", "message", "link", "button:Preview"]
    # Arrow keys move between the awards, as in any radio group.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(FOCUSED).startswith("award=") and page.evaluate(FOCUSED) != f"award={checked}"


# Every page an organizer reaches, in English and in Odia (longer words, another script): none may scroll sideways.
ORGANIZER_PAGES = ["/nominate", "/me", "/privacy", "/me/delete", "/dashboard", "/campaigns", "/campaigns/workshop-demo",
                   "/campaigns/workshop-demo/report", "/campaigns/workshop-demo/participants",
                   "/campaigns/workshop-demo/follow-up", "/campaigns/workshop-demo/bulk",
                   "/campaigns/workshop-demo/deliveries", "/campaigns/odia-photo-walk/deliveries",
                   "/campaigns/workshop-demo/organizers", "/users/orwiki/Nobody",
                   "/campaigns/odia-photo-walk/suggestions", "/campaigns/workshop-demo/settings"]
NOT_FOUND = {"/users/orwiki/Nobody"}  # no page for someone never thanked: its 404 page must fit too


@pytest.mark.parametrize("language", ["en", "or"])
def test_organizer_pages_fit_a_phone(chromium, live_server, screenshot_dir, tmp_path, language: str) -> None:
    database = Database(f"sqlite:///{tmp_path / 'browser.sqlite'}")
    migrate.upgrade(database.url)
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        demo.seed(session, config)
    base = live_server(create_app(config, database))
    page = chromium.new_page(viewport=VIEWPORTS["phone"])
    try:
        page.goto(base + "/login")
        page.fill("#username", "Demo Organizer")
        page.click("button[type=submit]")
        shoutout = page.goto(base + "/").ok and page.locator(".kudos-shoutout a[href*='/shoutouts/']").first
        pages = [*ORGANIZER_PAGES, shoutout.get_attribute("href")]
        for path in pages:
            response = page.goto(f"{base}{path}{'&' if '?' in path else '?'}uselang={language}")
            assert response is not None and response.status == (404 if path in NOT_FOUND else 200), path
            assert page.locator("h1").count() == 1, path
            assert page.get_attribute("html", "lang") == language, path
            name = path.strip("/").replace("/", "-") or "wall"
            page.screenshot(path=str(screenshot_dir / f"{name}-phone-{language}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at phone width in {language}"
    finally:
        page.close()


def test_the_suggestions_page_fits_a_phone_in_hebrew(site: tuple[str, dict[str, object]],
                                                       pages: dict[str | None, Any], screenshot_dir: Path) -> None:
    """Right to left, with Odia page titles and English summaries inside: nothing pushes the page sideways."""
    base, _ids = site
    page = pages[ORGANIZER]
    response = page.goto(f"{base}/campaigns/{OPEN}/suggestions?uselang=he")
    assert response is not None and response.status == 200
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.locator(".kudos-suggestion").count() == 3  # two of the demo's walkers and the long-titled one
    problems = capture(page, screenshot_dir, "suggestions-he")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language,viewport", [("en", "desktop"), ("he", "phone")])
def test_an_admin_creates_a_campaign_through_the_form(chromium: Any, site: tuple[str, dict[str, object]],
                                                      screenshot_dir: Path, language: str, viewport: str) -> None:
    """Typing the name suggests the short name (static/campaign-slug.js); the campaign is made, its settings
    page follows, and nothing on the way scrolls sideways, right to left on a phone as well."""
    base, _ids = site
    context = new_context(chromium)
    try:
        page = context.new_page()
        sign_in(page, base, ORGANIZER)
        page.set_viewport_size(VIEWPORTS[viewport])
        page.goto(f"{base}/campaigns/new?uselang={language}")
        assert page.get_attribute("html", "dir") == ("rtl" if language == "he" else "ltr")
        page.fill("#name", f"Browser Workshop {language}")
        assert page.input_value("#slug") == f"browser-workshop-{language}"
        page.locator("#slug-check[data-available=true]").wait_for()
        page.fill("#slug", OPEN)  # the demo's photo walk has it: the form says so before submitting
        page.locator("#slug-check[data-available=false]").wait_for()
        assert OPEN in page.inner_text("#slug-check")
        page.fill("#slug", f"browser-workshop-{language}")
        page.select_option("#wiki", "orwiki")
        page.check("input[name=kind][value=workshop]")
        page.fill("#starts", "2026-12-05T10:00")
        page.fill("#ends", "2026-12-05T18:00")
        page.fill("#description", "Writing about the villages of the Mahanadi delta.")
        page.uncheck("input[name=awards][value=diligence]")
        page.select_option("#default_award", "teamwork")
        page.fill("#min_editcount", "10")
        page.screenshot(path=str(screenshot_dir / f"campaign-new-filled-{viewport}-{language}.png"), full_page=True)
        page.click("form.kudos-form button[type=submit]")
        assert page.url.startswith(f"{base}/campaigns/browser-workshop-{language}/settings"), \
            page.locator("main").inner_text()[:800]
        assert page.locator(".kudos-flash").count() == 1
        assert page.input_value("#starts") == "2026-12-05T10:00"
        problems = capture(page, screenshot_dir, f"campaign-settings-created-{language}")
        assert not problems, "\n".join(problems)
        # A second campaign with the same short name is refused beside the field, in the reader's language.
        page.goto(f"{base}/campaigns/new?uselang={language}")
        page.fill("#name", f"Browser Workshop {language}")
        page.select_option("#wiki", "orwiki")
        page.click("form.kudos-form button[type=submit]")
        assert page.locator("#slug-error").count() == 1
        assert page.locator("#slug").get_attribute("aria-invalid") == "true"
    finally:
        context.close()


@pytest.mark.parametrize(("path", "name"), [("/campaigns", "campaigns-he"), ("/dashboard", "dashboard-he")])
def test_the_directory_and_the_dashboard_in_hebrew(site: tuple[str, dict[str, object]], pages: dict[str | None, Any],
                                                   screenshot_dir: Path, path: str, name: str) -> None:
    """Right to left, with Odia campaign names and English user names inside, at desktop and phone width."""
    base, _ids = site
    page = pages[ORGANIZER]
    response = page.goto(f"{base}{path}?uselang=he")
    assert response is not None and response.status == 200
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.locator(".kudos-directory-campaign, .kudos-home-campaign").count() >= 3
    problems = capture(page, screenshot_dir, name)
    assert not problems, "\n".join(problems)
