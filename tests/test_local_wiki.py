"""The local MediaWiki fixture does what the other tests rely on, checked through the wiki's own API."""

import json
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from tests.servers.mediawiki import BOT_GRANTS, BotCredentials, LocalWiki, pywikibot_env

pytestmark = pytest.mark.mediawiki
TIMEOUT = 60

# Runs in a child process because pywikibot reads PYWIKIBOT_DIR when it is imported.
POST_NEW_SECTION = """
import json, sys, pywikibot
site = pywikibot.Site()
site.login()
page = pywikibot.Page(site, sys.argv[1])
saved = site.editpage(page, text='Thank you! ~~~~', section='new', sectiontitle='A barnstar for you',
                      summary='kudos', minor=False, bot=True)
print(json.dumps({'user': site.user(), 'bot_right': site.has_right('bot'), 'saved': saved}))
"""


@pytest.fixture(scope="module")
def bot(local_wiki: LocalWiki) -> BotCredentials:
    return local_wiki.create_bot("LwBot", appid="kudos")


def login(wiki: LocalWiki, bot: BotCredentials) -> tuple[requests.Session, str]:
    """A requests session logged in with the bot password, and its CSRF token."""
    http = requests.Session()
    api = wiki.api_url
    base = {"format": "json", "formatversion": "2"}
    login_query = {**base, "action": "query", "meta": "tokens", "type": "login"}
    login_token = http.get(api, params=login_query, timeout=TIMEOUT).json()
    result = http.post(api, data={
        **base, "action": "login", "lgname": bot.login, "lgpassword": bot.password,
        "lgtoken": login_token["query"]["tokens"]["logintoken"],
    }, timeout=TIMEOUT).json()  # fmt: skip
    assert result["login"]["result"] == "Success", result
    csrf = http.get(api, params={**base, "action": "query", "meta": "tokens"}, timeout=TIMEOUT).json()
    return http, csrf["query"]["tokens"]["csrftoken"]


def test_api_answers_siteinfo(local_wiki: LocalWiki) -> None:
    general = local_wiki.api(meta="siteinfo")["query"]["general"]
    assert general["generator"].startswith("MediaWiki 1.39")
    assert general["dbtype"] == "sqlite"
    assert general["server"] == local_wiki.base_url
    assert local_wiki.api_url == f"http://127.0.0.1:{local_wiki.port}/api.php"


def test_created_users_are_listed_and_a_block_shows(local_wiki: LocalWiki) -> None:
    local_wiki.create_user("LwAlice")
    local_wiki.create_user("LwDave")
    local_wiki.block("LwDave", reason="vandalism")
    users = local_wiki.api(list="users", ususers="LwAlice|LwDave|LwNobody", usprop="groups|blockinfo")
    by_name = {user["name"]: user for user in users["query"]["users"]}
    assert "user" in by_name["LwAlice"]["groups"]
    assert "blockid" not in by_name["LwAlice"]
    assert by_name["LwDave"]["blockid"] > 0
    assert by_name["LwDave"]["blockreason"] == "vandalism"
    assert by_name["LwNobody"]["missing"] is True


def test_bot_password_has_the_grants(local_wiki: LocalWiki, bot: BotCredentials) -> None:
    assert bot.login == "LwBot@kudos"
    http, _ = login(local_wiki, bot)
    info = http.get(local_wiki.api_url, params={
        "format": "json", "formatversion": "2", "action": "query",
        "meta": "userinfo", "uiprop": "rights|groups",
    }, timeout=TIMEOUT).json()["query"]["userinfo"]  # fmt: skip
    assert info["name"] == "LwBot"
    assert "bot" in info["groups"]
    for right in ("bot", "edit", "createtalk", "noratelimit"):
        assert right in info["rights"], right
    assert set(BOT_GRANTS) >= {"basic", "highvolume", "editpage", "createeditmovepage"}


def test_pywikibot_posts_a_new_section_with_the_bot_password(
    local_wiki: LocalWiki, bot: BotCredentials, tmp_path: Path
) -> None:
    local_wiki.create_user("LwBob")
    config = local_wiki.write_pywikibot_config(tmp_path / "pwb", bot.user, bot.login, bot.password)
    assert stat.S_IMODE((config / "user-password.py").stat().st_mode) == 0o600
    before = local_wiki.request_count()

    # The talk page does not exist yet: creating it needs the createeditmovepage grant.
    done = subprocess.run(
        [sys.executable, "-c", POST_NEW_SECTION, "User talk:LwBob"],
        env=pywikibot_env(config), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome == {"user": "LwBot", "bot_right": True, "saved": True}
    assert local_wiki.request_count() > before

    page = local_wiki.api(
        prop="revisions", titles="User talk:LwBob", rvprop="content|user|flags", rvslots="main"
    )
    revision = page["query"]["pages"][0]["revisions"][0]
    assert revision["user"] == "LwBot"
    assert revision["minor"] is False
    assert "== A barnstar for you ==" in revision["slots"]["main"]["content"]
    changes = local_wiki.api(list="recentchanges", rctitle="User talk:LwBob", rcprop="flags|user")
    assert changes["query"]["recentchanges"][0]["bot"] is True


def test_read_only_makes_edits_fail_until_lifted(local_wiki: LocalWiki, bot: BotCredentials) -> None:
    http, token = login(local_wiki, bot)
    edit = {
        "format": "json", "formatversion": "2", "action": "edit", "title": "LwSandbox",
        "appendtext": "\nmore", "token": token,
    }  # fmt: skip
    local_wiki.set_read_only("Database maintenance")
    try:
        refused = http.post(local_wiki.api_url, data=edit, timeout=TIMEOUT).json()
    finally:
        local_wiki.set_read_only(None)
    assert refused["error"]["code"] == "readonly"
    saved = http.post(local_wiki.api_url, data=edit, timeout=TIMEOUT).json()
    assert saved["edit"]["result"] == "Success"


def test_edit_at_sets_timestamps_that_usercontribs_returns(local_wiki: LocalWiki) -> None:
    local_wiki.create_user("LwCarol")
    current = local_wiki.edit("LwGarden", "today's text", "now", user="Admin")
    first = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    second = datetime(2025, 3, 15, 12, 0, 0, tzinfo=UTC)
    old = datetime(2024, 6, 1, 8, 30, 0, tzinfo=UTC)
    revids = [
        local_wiki.edit_at("LwMeadow", "first", "LwCarol", first, summary="early"),
        local_wiki.edit_at("LwMeadow", "second", "LwCarol", second),
        local_wiki.edit_at("LwGarden", "older text", "LwCarol", old),
    ]

    contribs = local_wiki.api(list="usercontribs", ucuser="LwCarol", ucprop="ids|title|timestamp|comment")
    got = {(c["revid"], c["title"], c["timestamp"]) for c in contribs["query"]["usercontribs"]}
    assert got == {
        (revids[0], "LwMeadow", "2025-01-02T03:04:05Z"),
        (revids[1], "LwMeadow", "2025-03-15T12:00:00Z"),
        (revids[2], "LwGarden", "2024-06-01T08:30:00Z"),
    }
    # A back-dated revision must not become the page's current text.
    garden = local_wiki.api(prop="info", titles="LwGarden")["query"]["pages"][0]
    assert garden["lastrevid"] == current


def test_talk_redirect_left_by_a_rename(local_wiki: LocalWiki) -> None:
    local_wiki.redirect_user_talk("LwOldName", "LwNewName")
    resolved = local_wiki.api(titles="User talk:LwOldName", redirects=True)["query"]
    assert resolved["redirects"] == [{"from": "User talk:LwOldName", "to": "User talk:LwNewName"}]


def test_request_count_counts_each_api_request_once(local_wiki: LocalWiki) -> None:
    before = local_wiki.request_count()
    before_all = local_wiki.request_count(include_fixture=True)
    response = requests.get(
        local_wiki.api_url, params={"action": "query", "meta": "siteinfo", "format": "json"}, timeout=TIMEOUT
    )
    assert response.ok
    assert local_wiki.request_count() == before + 1
    local_wiki.api(meta="userinfo")  # the fixture's own reads are left out by default
    assert local_wiki.request_count() == before + 1
    assert local_wiki.request_count(include_fixture=True) == before_all + 2
    pages_before = local_wiki.request_count("index.php")
    assert requests.get(local_wiki.index_url, params={"title": "Main_Page"}, timeout=TIMEOUT).ok
    assert local_wiki.request_count("index.php") == pages_before + 1
    assert local_wiki.request_count() == before + 1


def test_four_bot_processes_at_once_all_get_through(local_wiki: LocalWiki, tmp_path: Path) -> None:
    """The delivery tests run several bot processes against one wiki; none may fail or stall."""
    local_wiki.create_user("LwErin")
    child = (
        "import sys, pywikibot\n"
        "site = pywikibot.Site(); site.login()\n"
        "for i in range(3):\n"
        "    page = pywikibot.Page(site, 'User talk:LwErin')\n"
        "    site.editpage(page, text='Thanks ~~~~', section='new', "
        "sectiontitle=f'From {sys.argv[1]} #{i}',\n"
        "                  summary='kudos', minor=False, bot=True)\n"
    )
    processes = []
    for number in range(4):
        bot = local_wiki.create_bot(f"LwBot{number}")
        config = local_wiki.write_pywikibot_config(tmp_path / str(number), bot.user, bot.login, bot.password)
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", child, bot.user],
                env=pywikibot_env(config),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )  # fmt: skip
        )
    for process in processes:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output
        assert "WARNING" not in output, output  # pywikibot retries silently only after a server error

    page = local_wiki.api(prop="revisions", titles="User talk:LwErin", rvprop="content", rvslots="main")
    content = page["query"]["pages"][0]["revisions"][0]["slots"]["main"]["content"]
    headings = {line for line in content.splitlines() if line.startswith("== From")}
    assert headings == {f"== From LwBot{n} #{i} ==" for n in range(4) for i in range(3)}
    failures = [path for status, path in local_wiki.requests_logged() if status >= 500]
    assert failures == []
