"""Headless Chromium (Debian's package) driven by Playwright, and a live server for the app under test."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.support import need

CHROMIUM = Path(os.environ.get("KUDOS_CHROMIUM", "/usr/bin/chromium"))
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
# Without these flags Chromium tries to reach Google's services and, as root, refuses to start.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    need(CHROMIUM.exists(), f"Chromium at {CHROMIUM} (scripts/install.d/30-chromium.sh)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "Playwright for Python")
        raise
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve a Flask app on a free loopback port in a thread for the duration of the block; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll: shutdown() waits for the loop's next look, up to half a second at the default, in every test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def live_server() -> Iterator[Callable[[Flask], str]]:
    """Serve a Flask app on a free loopback port in a thread; returns its base URL."""
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(serving(app))


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = OUTPUT / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
