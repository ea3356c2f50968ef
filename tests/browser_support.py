"""Helpers for the browser tests: hermetic browser contexts, the demo sign-in, and page captures.

`capture` takes the screenshots the issue asks for (every page at desktop and phone width) and checks what
holds for every page: no sideways scrolling on a phone, exactly one h1, and a label for every input.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.servers.browser import VIEWPORTS

# Anything not served by the app under test (award images on Commons, for instance) is refused at once:
# the tests stay offline and a page never waits for a host that cannot be reached.
ELSEWHERE = re.compile(r"^(?!https?://127\.0\.0\.1[:/]|data:|about:)")

# Form controls a person fills in, with no name a screen reader can read out.
UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => !(Array.from(el.labels || []).some(l => l.textContent.trim()))
                && !(el.getAttribute('aria-label') || '').trim()
                && !(el.getAttribute('aria-labelledby') || '').trim())
  .map(el => el.outerHTML.slice(0, 160))"""

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def new_context(browser: Any) -> Any:
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.route(ELSEWHERE, lambda route: route.abort())
    return context


def sign_in(page: Any, base: str, username: str) -> None:
    """The demo sign-in form, as a person uses it."""
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.click("form.kudos-form button[type=submit]")
    assert username in page.inner_text("header"), page.inner_text("body")[:500]


def sign_out(page: Any) -> None:
    page.click("header form[action='/logout'] button")
    assert "Sign in" in page.inner_text("header")


def capture(page: Any, folder: Path, name: str) -> list[str]:
    """Screenshot the current page at every width as `<name>-<viewport>.png`; returns what is wrong with it."""
    problems = []
    original = page.viewport_size
    for viewport, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"{name}-{viewport}.png"), full_page=True)
        overflow = page.evaluate(OVERFLOW)
        if overflow > 0:
            problems.append(f"{name}: scrolls sideways by {overflow}px at {viewport} width ({size['width']}px)")
    page.set_viewport_size(original)
    headings = page.locator("h1").count()
    if headings != 1:
        problems.append(f"{name}: {headings} h1 elements instead of one")
    problems += [f"{name}: input without a label: {html}" for html in page.evaluate(UNLABELLED)]
    return problems
