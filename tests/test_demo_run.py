"""`make run` as a newcomer meets it: the exact command it runs, on free ports with its own instance folder.

The demo starts its local wikis, the web tool and the delivery job; in a real browser a demo user nominates
someone, the demo organizer approves, and within 30 s the deliveries page links the edit that put the
barnstar on the local wiki. One Ctrl-C (SIGINT) stops every process the demo started; a second run reuses
the wikis and the database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from kudos.config import PROJECT_ROOT
from kudos.demo import cast
from kudos.devwiki import LocalWiki
from tests.browser_support import capture, new_context, sign_in, sign_out
from tests.support import need

pytestmark = pytest.mark.mediawiki

READY = "Ctrl-C stops everything."
RECIPIENT = "Sanjay"
MESSAGE = "Photographed all forty bridges over the Mahanadi for the article."
COMMUNITY = "enwiki-community"


@dataclass
class Demo:
    command: list[str]
    instance: Path
    base: str
    wiki_base: str
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self, name: str) -> str:
        """Start the demo; returns what it printed up to its ready line."""
        self.log = self.instance.parent / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOOL_") and k != "KUDOS_CONFIG"}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(self.command, cwd=PROJECT_ROOT, env=env, stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 240  # the first run installs two wikis
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if READY in text:
                return text
            assert self.process.poll() is None, f"the demo exited ({self.process.returncode}):\n{text[-3000:]}"
            time.sleep(0.3)
        raise AssertionError(f"the demo did not get ready:\n{self.log.read_text(errors='replace')[-3000:]}")

    def interrupt(self) -> tuple[int, set[int]]:
        """Ctrl-C: returns the demo's exit status and its processes (all descendants) from before."""
        assert self.process is not None
        family = descendants(self.process.pid)
        self.process.send_signal(signal.SIGINT)
        status = self.process.wait(timeout=60)
        self.process = None
        return status, family

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + count > 65535:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no consecutive free ports")


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    need(LocalWiki.available(), "MediaWiki 1.39 and PHP (scripts/install.d/20-mediawiki.sh)")
    instance = tmp_path_factory.mktemp("demo") / "instance"
    port = free_ports(3)  # the web tool, then the two wikis
    wiki_port = port + 1
    recipe = (PROJECT_ROOT / "Makefile").read_text().split("\nrun: ", 1)[1].split("\n\n", 1)[0]
    assert recipe.splitlines()[1:] == ["\t$(BIN)/python -m kudos.demo run $(RUN_ARGS)"]  # what `make run` runs
    command = [sys.executable, "-m", "kudos.demo", "run", "--port", str(port), "--wiki-port", str(wiki_port),
               "--instance", str(instance)]
    running = Demo(command, instance, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{wiki_port}")
    try:
        yield running
    finally:
        running.kill()


@pytest.fixture
def offline_demo(tmp_path: Path) -> Iterator[Demo]:
    """The demo where MediaWiki cannot run (--no-wiki stands in for a machine without root or apt-get)."""
    port = free_ports(3)
    instance = tmp_path / "instance"
    command = [sys.executable, "-m", "kudos.demo", "run", "--port", str(port), "--wiki-port", str(port + 1),
               "--instance", str(instance), "--no-wiki"]
    running = Demo(command, instance, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}")
    try:
        yield running
    finally:
        running.kill()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = new_context(chromium)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_make_run_shows_the_whole_journey_offline_and_one_ctrl_c_stops_it(
        demo: Demo, page: Any, screenshot_dir: Path) -> None:
    printed = demo.start("first-run")
    assert f"open {demo.base}/login" in printed, printed
    problems: list[str] = []
    base = demo.base

    # A newcomer signs in as the demo user and nominates a demo person.
    sign_in(page, base, cast.NOMINATOR)
    page.goto(f"{base}/nominate")
    page.select_option("#campaign", COMMUNITY)
    page.fill("#recipient", RECIPIENT)
    page.fill("#message", MESSAGE)
    page.click("form.kudos-nominate-form button[type=submit]")
    preview = page.locator(".talk-preview")
    assert MESSAGE in preview.inner_text() and preview.locator("h2").count() >= 1  # the local wiki rendered it
    page.click("button:has-text('Confirm and send')")
    assert page.url == f"{base}/me"
    sign_out(page)

    # The demo organizer approves it.
    sign_in(page, base, cast.ORGANIZER)
    page.goto(f"{base}/review")
    page.locator("li.nomination", has_text=RECIPIENT).get_by_role("button", name="Approve", exact=True).click()
    assert "Approved" in page.inner_text("main")

    # Within 30 s the deliveries page links the edit on the local wiki.
    page.goto(f"{base}/campaigns/{COMMUNITY}/deliveries")
    row = page.locator("tr", has_text=RECIPIENT).filter(has_text="Talk page")
    deadline = time.monotonic() + 30
    while "see the edit" not in row.inner_text():
        assert time.monotonic() < deadline, f"no barnstar within 30 s:\n{demo.log.read_text()[-3000:]}"  # type: ignore[union-attr]
        time.sleep(0.25)
        page.reload()
    assert f"Posted on User talk:{RECIPIENT} — see the edit" in row.inner_text()
    # The demo's data shows the other outcomes, as the delivery job produced them on the local wikis.
    page.goto(f"{base}/campaigns/odia-photo-walk/deliveries")
    main = page.inner_text("main")
    assert (f"(redirect from User talk:{cast.RENAMED_FROM})" in main
            and "Not posted: the talk page has {{nobots}}." in main
            and "Waiting for Meera's answer about sharing" in main), main
    # Between rounds the job found the photo walk's suggestions on the local Odia wiki: the walkers' real edits,
    # Lipika's rolled-back ones marked, and the newcomer who signed up there.
    odia_wiki = f"http://127.0.0.1:{int(demo.wiki_base.rsplit(':', 1)[1]) + 1}"
    deadline = time.monotonic() + 60
    while True:
        page.goto(f"{base}/campaigns/odia-photo-walk/suggestions")
        lipika = page.locator(".kudos-suggestion[data-username='Lipika']")
        diffs = [str(a.get_attribute("href")) for a in page.locator(".kudos-edit a[href*='?diff=']").all()]
        if diffs and all(d.startswith(f"{odia_wiki}/index.php?diff=") and int(d.split("=")[-1]) < 9000 for d in diffs):
            break
        assert time.monotonic() < deadline, f"no suggestions from the wiki within 60 s:\n{demo.log.read_text()[-3000:]}"  # type: ignore[union-attr]
        time.sleep(0.5)
    assert "4 reverted (not counted)" in lipika.inner_text()
    cards = [page.locator(".kudos-suggestion").nth(n).get_attribute("data-username")
             for n in range(page.locator(".kudos-suggestion").count())]
    assert sorted(cards) == ["Lipika", "Nandini"]  # Suchitra thanked, Pradeep snoozed, Manas set aside: by account id
    assert cast.SNOOZED in page.inner_text(".kudos-snoozed") and cast.SET_ASIDE in page.inner_text(".kudos-set-aside")
    problems += capture(page, screenshot_dir, "demo-suggestions")

    page.goto(f"{base}/campaigns/{COMMUNITY}/deliveries")
    problems += capture(page, screenshot_dir, "demo-deliveries")

    # The link leads to the barnstar's section on the local wiki.
    page.locator("tr", has_text=RECIPIENT).get_by_role("link", name="see the edit").click()
    assert page.url.startswith(demo.wiki_base)
    heading = page.locator("h2", has_text="The Original Barnstar")
    assert heading.count() >= 1 and MESSAGE in page.inner_text("body")
    for viewport, size in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 375, "height": 740})):
        page.set_viewport_size(size)
        page.screenshot(path=str(screenshot_dir / f"demo-local-wiki-barnstar-{viewport}.png"), full_page=True)

    # One Ctrl-C stops every process the demo started.
    status, family = demo.interrupt()
    assert status == 0
    assert family and not [pid for pid in family if alive(pid)], "processes left after Ctrl-C"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/healthz", timeout=2)

    # A second run reuses the wikis (no new install) and the database (no new demo data).
    printed = demo.start("second-run")
    assert "Demo data is already there." in printed and "Installing" not in printed, printed
    talk = requests.get(f"{demo.wiki_base}/api.php", timeout=10, params={
        "action": "query", "titles": f"User talk:{RECIPIENT}", "prop": "revisions", "rvprop": "content",
        "rvslots": "main", "format": "json", "formatversion": "2"}).json()
    assert MESSAGE in talk["query"]["pages"][0]["revisions"][0]["slots"]["main"]["content"]
    status, _ = demo.interrupt()
    assert status == 0
    assert not problems, problems


def test_without_mediawiki_the_demo_says_why_and_runs_without_deliveries(offline_demo: Demo) -> None:
    printed = offline_demo.start("offline-run")
    said = "Deliveries are not available: the demo was started with --no-wiki."
    assert said in printed, printed
    assert offline_demo.process is not None
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in descendants(offline_demo.process.pid)]
    assert not any(b"wikibot" in c or b"php" in c for c in commands)  # no wiki, no delivery job
    wall = requests.get(f"{offline_demo.base}/", timeout=10).text
    assert "Deliveries are not available in this demo: the demo was started with --no-wiki." in wall
    status, family = offline_demo.interrupt()
    assert status == 0 and not [pid for pid in family if alive(pid)]
