"""Pages in a real browser at desktop and phone width, with a screenshot of each."""

from __future__ import annotations

import pytest

from kudos import demo, migrate
from kudos.db import Database
from kudos.web import create_app
from tests.servers.browser import VIEWPORTS
from tests.support import make_config


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_public_pages_render_without_horizontal_scrolling(chromium, live_server, screenshot_dir,
                                                          tmp_path, viewport: str) -> None:
    database = Database(f"sqlite:///{tmp_path / 'browser.sqlite'}")
    migrate.upgrade(database.url)
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        demo.seed(session, config)
    base = live_server(create_app(config, database))
    page = chromium.new_page(viewport=VIEWPORTS[viewport])
    try:
        for name, path in (("wall", "/"), ("login", "/login")):
            page.goto(base + path)
            assert page.locator("h1").count() == 1
            page.screenshot(path=str(screenshot_dir / f"{name}-{viewport}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {viewport} width"
        page.goto(base + "/login")
        page.fill("#username", "Browser Tester")
        page.click("button[type=submit]")
        assert "Browser Tester" in page.inner_text("header")
    finally:
        page.close()


# Every page an organizer reaches, in English and in Odia (longer words, another script): none may scroll sideways.
ORGANIZER_PAGES = ["/nominate", "/me", "/privacy", "/me/delete", "/dashboard", "/campaigns/workshop-demo",
                   "/campaigns/workshop-demo/report", "/campaigns/workshop-demo/participants",
                   "/campaigns/workshop-demo/follow-up", "/campaigns/workshop-demo/bulk",
                   "/campaigns/workshop-demo/deliveries", "/campaigns/workshop-demo/organizers", "/users/orwiki/Nobody"]


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
            assert response is not None and response.status in (200, 404), path
            assert page.locator("h1").count() == 1, path
            assert page.get_attribute("html", "lang") == language, path
            name = path.strip("/").replace("/", "-") or "wall"
            page.screenshot(path=str(screenshot_dir / f"{name}-phone-{language}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at phone width in {language}"
    finally:
        page.close()
