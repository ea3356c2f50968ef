"""Interface messages: every key is defined and documented, the reader's language is chosen and kept,
right-to-left pages are marked, and message parameters cannot inject markup."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask, abort, render_template_string
from flask.testing import FlaskClient

from kudos import demo
from kudos.config import PROJECT_ROOT
from kudos.db import Database
from kudos.errors import NotFound
from kudos.i18n import Catalog, translations_config
from kudos.web import create_app
from kudos.web import i18n as i18n_web
from tests.support import make_config

I18N = PROJECT_ROOT / "i18n"
TEMPLATES = PROJECT_ROOT / "templates"
# Templates: msg('key' …) and nav_link('/path', 'key'). Python: any 'kudos-…' string in the web tool, and
# the keys of errors and wiki text anywhere.
TEMPLATE_KEY = re.compile(r"""(?:msg\(|nav_link\([^,]+,\s*)['"]([a-z0-9-]+)['"]""")
PYTHON_KEY = re.compile(r"""['"](kudos-[a-z0-9-]+)['"]""")
ERROR_KEY = re.compile(r"""['"](kudos-(?:error|barnstar|api|access)-[a-z0-9-]+)['"]""")


def _messages(language: str) -> dict[str, str]:
    data = json.loads((I18N / f"{language}.json").read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("@")}


def _keys_used() -> set[str]:
    keys = {key for path in TEMPLATES.glob("*.html") for key in TEMPLATE_KEY.findall(path.read_text("utf-8"))}
    for path in (PROJECT_ROOT / "kudos" / "web").glob("*.py"):
        keys |= set(PYTHON_KEY.findall(path.read_text("utf-8")))
    for path in [*(PROJECT_ROOT / "kudos").rglob("*.py"), *(PROJECT_ROOT / "wikibot").rglob("*.py")]:
        keys |= set(ERROR_KEY.findall(path.read_text("utf-8")))  # the core names only errors and refusals
    return keys


@pytest.fixture
def app(database: Database) -> Flask:
    config = make_config(database_url=database.url)
    with database.transaction() as session:
        demo.seed(session, config)
    return create_app(config, database)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_the_key_scan_finds_the_keys_the_templates_use() -> None:
    used = _keys_used()
    assert {"kudos-wall-heading", "kudos-nav-nominate", "kudos-error-notfound-text", "kudos-access-settings"} <= used


def test_every_key_used_is_in_english_and_documented() -> None:
    used = _keys_used()
    assert used - set(_messages("en")) == set()
    assert used - set(_messages("qqq")) == set()


def test_every_english_message_is_documented_and_nothing_else_is() -> None:
    assert set(_messages("qqq")) == set(_messages("en"))
    assert all(text.strip() for text in _messages("qqq").values())


@pytest.mark.parametrize("language", sorted(p.stem for p in I18N.glob("*.json") if p.stem not in ("en", "qqq")))
def test_translations_only_hold_english_keys_and_the_same_parameters(language: str) -> None:
    english = _messages("en")
    translated = _messages(language)
    assert set(translated) - set(english) == set()
    for key, text in translated.items():
        assert set(re.findall(r"\$\d", text)) == set(re.findall(r"\$\d", english[key])), key


def test_odia_covers_every_message() -> None:
    assert set(_messages("or")) >= set(_messages("en")) - {"kudos-tool-name"}


def test_uselang_renders_odia(client: FlaskClient) -> None:
    page = client.get("/?uselang=or").get_data(as_text=True)
    assert '<html lang="or" dir="ltr">' in page
    assert _messages("or")["kudos-wall-heading"] in page
    assert "Recent shout-outs" not in page


def test_accept_language_hebrew_gives_a_right_to_left_page(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "he-IL,he;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="he" dir="rtl">' in page
    assert _messages("he")["kudos-wall-heading"] in page


def test_untranslated_english_inside_a_right_to_left_page_is_marked_as_english(client: FlaskClient) -> None:
    # he.json is partial: the demo login heading falls back to English, in a <span> that says so.
    page = client.get("/login?uselang=he").get_data(as_text=True)
    english = _messages("en")["kudos-login-demo-heading"]
    assert f'<span lang="en" dir="ltr">{english}</span>' in page
    assert f">{_messages('he')['kudos-sign-in']}<" in page  # translated text needs no span of its own


def test_a_message_missing_in_odia_falls_back_to_english_marked_as_english(client: FlaskClient) -> None:
    assert "kudos-tool-name" not in _messages("or")
    page = client.get("/?uselang=or").get_data(as_text=True)
    assert 'class="kudos-brand" href="/?uselang=or"><span lang="en" dir="ltr">Kudos</span></a>' in page
    assert f'<h1>{_messages("or")["kudos-wall-heading"]}</h1>' in page  # Odia itself is not wrapped
    assert "<title>" + _messages("or")["kudos-wall-title"] + " – Kudos</title>" in page  # no tags in a title


def test_uselang_wins_over_accept_language(client: FlaskClient) -> None:
    page = client.get("/?uselang=or", headers={"Accept-Language": "he"}).get_data(as_text=True)
    assert '<html lang="or" dir="ltr">' in page


@pytest.mark.parametrize(("uselang", "accept", "html"), [
    ("OR", "he", '<html lang="or" dir="ltr">'),
    ("en-GB", "he", '<html lang="en-GB" dir="ltr">'),  # MediaWiki's code en-gb falls back to English
    ("", "he-IL,he;q=0.9,en;q=0.5", '<html lang="he" dir="rtl">'),
    ("zz", "de", '<html lang="en" dir="ltr">'),
    ("xx-unknown", "or", '<html lang="or" dir="ltr">'),
    ("de", "", '<html lang="en" dir="ltr">'),  # a language with no messages of ours: not claimed
    ('"><script>', "", '<html lang="en" dir="ltr">'),
])
def test_language_choice(client: FlaskClient, uselang: str, accept: str, html: str) -> None:
    page = client.get("/", query_string={"uselang": uselang} if uselang else None,
                      headers={"Accept-Language": accept} if accept else None).get_data(as_text=True)
    assert html in page
    assert "<script>" not in page


def test_uselang_qqx_shows_message_keys(client: FlaskClient) -> None:
    page = client.get("/?uselang=qqx").get_data(as_text=True)
    assert "(kudos-wall-heading)" in page
    assert "Recent shout-outs" not in page


def test_the_chosen_language_is_kept_on_links(client: FlaskClient) -> None:
    page = client.get("/?uselang=or").get_data(as_text=True)
    assert 'href="/feed.atom?uselang=or"' in page
    assert 'class="kudos-brand" href="/?uselang=or"' in page
    plain = client.get("/", headers={"Accept-Language": "or"}).get_data(as_text=True)
    assert '<html lang="or"' in plain and "uselang=or&" not in plain and 'href="/feed.atom"' in plain


def test_message_parameters_are_escaped(app: Flask) -> None:
    with app.test_request_context("/"):
        html = render_template_string("{{ msg('kudos-signed-in-as', name) }}|{{ msg('kudos-signed-in-as', name|bdi) }}",
                                      name="<script>alert(1)</script>")
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2
    assert "<bdi>&lt;script&gt;" in html


def test_a_username_with_markup_is_escaped_on_the_page(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "<script>x</script>", "csrf_token": token})
    page = client.get("/").get_data(as_text=True)
    assert "<script>x" not in page
    assert "Signed in as <bdi>&lt;script&gt;x&lt;/script&gt;</bdi>" in page


def test_navigation_links_follow_the_language_and_the_current_page(client: FlaskClient) -> None:
    odia = client.get("/?uselang=or").get_data(as_text=True)
    assert 'class="kudos-nav__link" href="/?uselang=or" aria-current="page"' in odia
    plain = client.get("/").get_data(as_text=True)
    assert 'class="kudos-nav__link" href="/" aria-current="page"' in plain and "/?uselang=or" not in plain
    elsewhere = client.get("/privacy").get_data(as_text=True)
    assert 'class="kudos-nav__link" href="/">' in elsewhere
    assert 'href="/privacy" aria-current="page"' in elsewhere


def test_message_files_are_tab_indented_json_objects(tmp_path: Path) -> None:
    for path in I18N.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and "@metadata" in data, path.name
        assert all(isinstance(v, str) for k, v in data.items() if k != "@metadata"), path.name


# --- a catalog of our own: languages with more plural forms, unsafe translations ------------------------

KEYS = ("kudos-participants-count", "kudos-report-days", "kudos-wall-heading")


def _catalog_dir(folder: Path, **languages: dict[str, str]) -> Path:
    """en.json and qqq.json for a few real keys, plus the given translations."""
    folder.mkdir(parents=True, exist_ok=True)
    english, documentation = _messages("en"), _messages("qqq")
    files = {"en": {k: english[k] for k in KEYS}, "qqq": {k: documentation[k] for k in KEYS}, **languages}
    for language, messages in files.items():
        text = json.dumps({"@metadata": {"authors": []}, **messages}, ensure_ascii=False, indent="\t")
        (folder / f"{language}.json").write_text(text, encoding="utf-8")
    return folder


def _app_with(messages: Catalog) -> Flask:
    app = Flask(__name__)
    i18n_web.init_app(app, messages)
    app.add_url_rule("/count/<int:n>", "count", lambda n: render_template_string(
        "{{ msg('kudos-participants-count', n) }}|{{ msg('kudos-report-days', n) }}|{{ msg('kudos-wall-heading') }}",
        n=n))
    return app


RUSSIAN = {"kudos-participants-count": "{{PLURAL:$1|$1 участник|$1 участника|$1 участников}}",
           "kudos-report-days": "{{PLURAL:$1|$1 день|$1 дня|$1 дней}}"}
ARABIC = {"kudos-participants-count": "{{PLURAL:$1|لا مشاركين|مشارك واحد|مشاركان|$1 مشاركين|$1 مشاركًا|$1 مشارك}}"}


@pytest.mark.parametrize(("language", "number", "expected"), [
    ("ru", 1, "1 участник|1 день"), ("ru", 21, "21 участник|21 день"),
    ("ru", 2, "2 участника|2 дня"), ("ru", 34, "34 участника|34 дня"),
    ("ru", 5, "5 участников|5 дней"), ("ru", 11, "11 участников|11 дней"), ("ru", 0, "0 участников|0 дней"),
    ("ar", 0, "لا مشاركين"), ("ar", 1, "مشارك واحد"), ("ar", 2, "مشاركان"), ("ar", 3, "3 مشاركين"),
    ("ar", 11, "11 مشاركًا"), ("ar", 100, "100 مشارك"),
])
def test_languages_with_more_than_two_plural_forms_get_each_form(
        tmp_path: Path, language: str, number: int, expected: str) -> None:
    app = _app_with(Catalog(translations_config(_catalog_dir(tmp_path, ru=RUSSIAN, ar=ARABIC))))
    page = app.test_client().get(f"/count/{number}?uselang={language}").get_data(as_text=True)
    english = '<span lang="en" dir="ltr">{}</span>'
    if language == "ar":  # only the first message is in Arabic: the others are English (by English rules)
        days = "1 day" if number == 1 else f"{number} days"
        assert page == "|".join([expected, english.format(days), english.format("Recent shout-outs")])
    else:
        assert page == f"{expected}|{english.format('Recent shout-outs')}"


def test_plain_text_follows_the_same_plural_rules(tmp_path: Path) -> None:
    messages = Catalog(translations_config(_catalog_dir(tmp_path, ru=RUSSIAN)))
    assert [messages.text("ru", "kudos-report-days", n) for n in (1, 3, 7)] == ["1 день", "3 дня", "7 дней"]
    assert messages.text("ru", "kudos-wall-heading") == "Recent shout-outs"  # English fallback, as text


@pytest.mark.parametrize("unsafe", [
    "<script>alert(1)</script>$1 участник",
    '<b onclick="alert(1)">$1</b> участник',
    '<img src=x onerror="alert(1)">$1',
])
def test_a_translation_with_unsafe_html_is_refused(tmp_path: Path, unsafe: str) -> None:
    folder = _catalog_dir(tmp_path, ru={"kudos-participants-count": unsafe})
    with pytest.raises(RuntimeError, match="pytest i18n"):
        Catalog(translations_config(folder))


def test_the_test_suite_fails_on_a_translation_with_a_script(tmp_path: Path) -> None:
    # The same checks run as tests over every message file (toolforge_i18n's pytest plugin): a
    # translatewiki.net export with a <script> or an onclick= cannot pass CI.
    _catalog_dir(tmp_path / "i18n", ru={"kudos-participants-count": '<a onclick="x()">{{PLURAL:$1|$1}}</a>',
                                        "kudos-wall-heading": "<script>alert(1)</script>"})
    (tmp_path / "tool_translations_config.py").write_text(
        "from pathlib import Path\nfrom kudos.i18n import translations_config\n"
        "config = translations_config(Path(__file__).parent / 'i18n')\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                           "-c", "/dev/null", str(tmp_path / "i18n")], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    failed = {line.split(" - ")[0] for line in done.stdout.splitlines() if line.startswith("FAILED")}
    assert failed == {"FAILED i18n/ru.json::check_message_html_elements[kudos-participants-count]",
                      "FAILED i18n/ru.json::check_message_html_elements[kudos-wall-heading]"}, done.stdout


def test_the_suite_checks_the_projects_message_files() -> None:
    import tomllib

    settings = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert "i18n" in settings["tool"]["pytest"]["ini_options"]["testpaths"]


def test_gender_uses_the_neutral_form(tmp_path: Path) -> None:
    folder = _catalog_dir(tmp_path)
    for language, text in (("en", "{{GENDER:$1|He|She|They}} thanked you"), ("qqq", "Parameters: $1 – a user")):
        data = json.loads((folder / f"{language}.json").read_text())
        (folder / f"{language}.json").write_text(json.dumps({**data, "kudos-x-thanked": text}))
    assert Catalog(translations_config(folder)).text("en", "kudos-x-thanked", "Alice") == "They thanked you"


def test_an_error_page_from_a_hook_before_the_languages_is_still_in_the_readers_language() -> None:
    app = Flask(__name__)
    app.before_request(lambda: abort(403))  # as CSRF protection does, before the language is chosen
    i18n_web.init_app(app)
    app.register_error_handler(403, lambda e: (render_template_string("{{ msg('kudos-error-forbidden-text') }}"), 403))
    response = app.test_client().get("/?uselang=or")
    assert response.status_code == 403
    assert response.get_data(as_text=True) == _messages("or")["kudos-error-forbidden-text"]


def test_plain_text_for_json_in_the_readers_language() -> None:
    app = Flask(__name__)
    i18n_web.init_app(app)
    app.add_url_rule("/t", "t", lambda: i18n_web.msg_text("kudos-participants-count", 3))
    assert app.test_client().get("/t?uselang=or").get_data(as_text=True) == _messages("or")[
        "kudos-participants-count"].replace("{{PLURAL:$1|$1 ଜଣ}}", "3 ଜଣ")
    assert app.test_client().get("/t?uselang=qqx").get_data(as_text=True) == "(kudos-participants-count)"


# --- the core's errors and the API's in the reader's language ----------------------------------------------

ERROR_CLASSES = {"DomainError", "NotFound", "WikiUnavailable"}


def _error_calls() -> list[tuple[str, int, ast.expr]]:
    found = []
    for path in sorted([*(PROJECT_ROOT / "kudos").rglob("*.py"), *(PROJECT_ROOT / "wikibot").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERROR_CLASSES and node.args:
                found.append((f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}", node.lineno, node.args[0]))
    return found


def test_every_domain_error_carries_a_message_key_not_a_sentence() -> None:
    calls = _error_calls()
    assert len(calls) > 40  # the scan finds the raises across kudos/
    english = _messages("en")
    for where, _line, first in calls:
        assert not isinstance(first, ast.JoinedStr), f"{where}: an f-string sentence; use a message key and parameters"
        if isinstance(first, ast.Constant):
            assert first.value in english, f"{where}: {first.value!r} is not a key of i18n/en.json"


def test_a_domain_error_is_english_for_logs_and_the_command_line() -> None:
    error = NotFound("kudos-error-no-campaign", "odia-<b>")
    assert str(error) == error.message == "There is no campaign “odia-<b>”."
    assert (error.key, error.params) == ("kudos-error-no-campaign", ("odia-<b>",))


def test_a_domain_error_reaches_the_reader_in_their_language(client: FlaskClient) -> None:
    response = client.get("/campaigns/no-<such>-campaign?uselang=or")
    assert response.status_code == 404
    expected = _messages("or")["kudos-error-no-campaign"].replace("$1", "no-&lt;such&gt;-campaign")
    assert f'<p class="kudos-error-message">{expected}</p>' in response.get_data(as_text=True)


def test_the_apis_errors_are_in_the_readers_language(client: FlaskClient) -> None:
    odia = client.get("/api/v1/shoutouts?wiki=<x>", headers={"Accept-Language": "or"})
    assert odia.status_code == 400
    assert odia.get_json()["error"] == _messages("or")["kudos-api-unknown-wiki"].replace("$1", "<x>").replace(
        "$2", "enwiki, orwiki")
    english = client.get("/api/v1/shoutouts?wiki=dewiki")
    assert english.get_json()["error"] == "Unknown wiki “dewiki”; known wikis: enwiki, orwiki."
