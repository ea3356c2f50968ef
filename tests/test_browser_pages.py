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
