"""Interface messages: every key is defined and documented, the reader's language is chosen and kept,
right-to-left pages are marked, and message parameters cannot inject markup."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from kudos import demo
from kudos.config import PROJECT_ROOT
from kudos.db import Database
from kudos.web import create_app
from kudos.web.i18n import choose_language, format_message, load_messages
from tests.support import make_config

I18N = PROJECT_ROOT / "i18n"
TEMPLATES = PROJECT_ROOT / "templates"
# Templates: msg('key' …) and nav_link('/path', 'key'). Python: any 'kudos-…' string (error page keys).
TEMPLATE_KEY = re.compile(r"""(?:msg\(|nav_link\([^,]+,\s*)['"]([a-z0-9-]+)['"]""")
PYTHON_KEY = re.compile(r"""['"](kudos-[a-z0-9-]+)['"]""")


def _messages(language: str) -> dict[str, str]:
    data = json.loads((I18N / f"{language}.json").read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("@")}


def _keys_used() -> set[str]:
    keys = {key for path in TEMPLATES.glob("*.html") for key in TEMPLATE_KEY.findall(path.read_text("utf-8"))}
    for path in (PROJECT_ROOT / "kudos" / "web").glob("*.py"):
        keys |= set(PYTHON_KEY.findall(path.read_text("utf-8")))
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
    assert {"kudos-wall-heading", "kudos-nav-nominate", "kudos-error-notfound-text"} <= used


def test_every_key_used_is_in_english_and_documented() -> None:
    used = _keys_used()
    assert used - set(_messages("en")) == set()
    assert used - set(_messages("qqq")) == set()


def test_every_english_message_is_documented_and_nothing_else_is() -> None:
    assert set(_messages("qqq")) == set(_messages("en"))
    assert all(text.strip() for text in _messages("qqq").values())


@pytest.mark.parametrize("language", ["or", "he"])
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


def test_untranslated_english_inside_a_right_to_left_page_is_isolated(client: FlaskClient) -> None:
    # he.json is partial: the demo login heading falls back to English, wrapped in LRI … PDI.
    page = client.get("/login?uselang=he").get_data(as_text=True)
    assert "\u2066" + _messages("en")["kudos-login-demo-heading"] + "\u2069" in page
    assert "\u2066" + _messages("he")["kudos-sign-in"] not in page  # translated text is not isolated


def test_uselang_wins_over_accept_language(client: FlaskClient) -> None:
    page = client.get("/?uselang=or", headers={"Accept-Language": "he"}).get_data(as_text=True)
    assert '<html lang="or" dir="ltr">' in page


def test_unknown_languages_fall_back_to_english(client: FlaskClient) -> None:
    page = client.get("/?uselang=xx-unknown", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page
    assert "Recent shout-outs" in page


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


def test_message_text_is_escaped_too() -> None:
    assert str(format_message("<b>$1</b>", ("x",), "en")) == "&lt;b&gt;x&lt;/b&gt;"


@pytest.mark.parametrize(("language", "number", "expected"), [
    ("en", 1, "1 shout-out"), ("en", 0, "0 shout-outs"), ("en", 5, "5 shout-outs"),
    ("he", 2, "two"), ("he", 7, "other"), ("en", 12, "a dozen"),
])
def test_plural(language: str, number: int, expected: str) -> None:
    forms = {"en": "{{PLURAL:$1|$1 shout-out|12=a dozen|$1 shout-outs}}", "he": "{{PLURAL:$1|one|two|other}}"}
    assert str(format_message(forms[language], (number,), language)) == expected


def test_gender_uses_the_neutral_form() -> None:
    assert str(format_message("{{GENDER:$1|he|she|they}} thanked", ("Alice",), "en")) == "they thanked"


def test_language_choice_order() -> None:
    messages = load_messages(I18N)
    assert choose_language(messages, "OR", lambda _: "he") == "or"
    assert choose_language(messages, "en-GB", lambda _: "he") == "en"
    assert choose_language(messages, None, lambda _: "he") == "he"
    assert choose_language(messages, "zz", lambda _: None) == "en"
    assert choose_language(messages, "qqx", lambda _: "he") == "qqx"
    assert choose_language(messages, '"><script>', lambda _: None) == "en"


def test_message_files_are_tab_indented_json_objects(tmp_path: Path) -> None:
    for path in I18N.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and "@metadata" in data, path.name
        assert all(isinstance(v, str) for k, v in data.items() if k != "@metadata"), path.name
