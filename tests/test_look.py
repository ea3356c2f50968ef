"""The look: Codex CSS vendored and linked, nothing fetched from another host, nothing the CSP blocks,
pages usable on a phone and with a keyboard."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from kudos import demo
from kudos.config import PROJECT_ROOT
from kudos.db import Database
from kudos.web import create_app
from tests.support import make_config

STATIC = PROJECT_ROOT / "static"
TEMPLATES = PROJECT_ROOT / "templates"
CODEX = STATIC / "vendor" / "codex"
URL = re.compile(r"""https?://[^\s"'<>)]+""")
WIKIMEDIA_HOSTS = ("wikimedia.org", "wikipedia.org", "mediawiki.org", "wikidata.org", "wiktionary.org",
                   "wikibooks.org", "wikisource.org", "wikiquote.org", "wikivoyage.org", "wikinews.org",
                   "wikiversity.org", "toolforge.org")
# Neither is fetched by a browser: XML namespace names, and notes in CSS comments.
NOT_FETCHED = re.compile(r"""xmlns(:[a-z]+)?=["'][^"']*["']|/\*.*?\*/""", re.DOTALL)


def _text_files() -> list[Path]:
    files = [*TEMPLATES.rglob("*")]
    files += [p for p in STATIC.rglob("*") if p.suffix in (".css", ".js", ".html", ".svg")]
    return [p for p in files if p.is_file()]


def _is_wikimedia(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host == h or host.endswith("." + h) for h in WIKIMEDIA_HOSTS)


class _Page(HTMLParser):
    """Collects what the accessibility checks need from a rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture
def app(database: Database) -> Flask:
    config = make_config(database_url=database.url, read_only_reason="maintenance until 10:00")
    with database.transaction() as session:
        demo.seed(session, config)
    return create_app(config, database)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_no_template_or_static_file_points_to_another_host() -> None:
    files = _text_files()
    assert any(p.name == "codex.style.css" for p in files)
    offenders = []
    for path in files:
        for url in URL.findall(NOT_FETCHED.sub("", path.read_text(encoding="utf-8"))):
            if not _is_wikimedia(url):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}: {url}")
    assert offenders == []


def test_stylesheets_load_nothing_from_elsewhere_and_no_data_uris_the_csp_would_block() -> None:
    for path in STATIC.rglob("*.css"):
        css = path.read_text(encoding="utf-8")
        assert "@import" not in css and "@font-face" not in css, path
        for target in re.findall(r"""url\(\s*['"]?([^'")]+)""", css):
            assert not urlsplit(target).scheme and not target.startswith("//"), (path, target[:60])
            assert (path.parent / target).is_file(), (path, target)


def test_templates_use_no_inline_styles_or_scripts() -> None:
    for path in TEMPLATES.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=", html), path.name


def test_codex_is_vendored_with_its_version_and_license() -> None:
    for name in ("codex.style.css", "codex-design-tokens.css", "LICENSE", "VERSION"):
        assert (CODEX / name).is_file(), name
    version = (CODEX / "VERSION").read_text()
    assert re.search(r"@wikimedia/codex \d+\.\d+\.\d+", version)
    assert re.search(r"@wikimedia/codex-design-tokens \d+\.\d+\.\d+", version)
    assert "--color-progressive:" in (CODEX / "codex-design-tokens.css").read_text()
    assert ".cdx-button" in (CODEX / "codex.style.css").read_text()
    assert "var(--color-progressive" in (STATIC / "kudos.css").read_text()  # our CSS uses the tokens


def test_base_template_links_the_vendored_codex_and_it_is_served(client: FlaskClient) -> None:
    page = _parse(client.get("/").get_data(as_text=True))
    stylesheets = [a["href"] for a in page.find("link", rel="stylesheet")]
    assert stylesheets == ["/static/vendor/codex/codex-design-tokens.css", "/static/vendor/codex/codex.style.css",
                           "/static/kudos.css"]
    for href in stylesheets:
        response = client.get(href)
        assert response.status_code == 200 and response.mimetype == "text/css"
        response.close()


@pytest.mark.parametrize(("path", "lang", "direction"), [
    ("/", "en", "ltr"), ("/login", "en", "ltr"), ("/no/such/page", "en", "ltr"), ("/?uselang=he", "he", "rtl")])
def test_pages_are_ready_for_phones_and_keyboards(client: FlaskClient, path: str, lang: str, direction: str) -> None:
    page = _parse(client.get(path).get_data(as_text=True))
    assert page.find("meta", name="viewport", content="width=device-width, initial-scale=1")
    html = page.find("html")[0]
    assert (html.get("lang"), html.get("dir")) == (lang, direction)
    skip = page.find("a", **{"class": "kudos-skip-link"})
    assert skip and page.find("main", id=skip[0]["href"].lstrip("#"))  # type: ignore[union-attr]
    labelled = {a["for"] for a in page.find("label")}
    for attrs in page.find("input") + page.find("textarea") + page.find("select"):
        if attrs.get("type") not in ("hidden", "submit"):
            assert attrs.get("id") in labelled or attrs.get("aria-label"), attrs


def test_user_text_carries_its_own_direction(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<blockquote class="kudos-shoutout__message" dir="auto">' in html
    assert "<bdi>Subhashish</bdi>" in html


def test_read_only_banner_and_demo_badge_use_codex_components(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'class="cdx-message cdx-message--warning kudos-banner"' in html
    assert "maintenance until 10:00" in html
    assert "cdx-info-chip" in html and "Demo mode" in html


def test_login_form_uses_codex_field_input_and_button(client: FlaskClient) -> None:
    page = _parse(client.get("/login").get_data(as_text=True))
    assert page.find("input", id="username")[0]["class"] == "cdx-text-input__input"
    assert page.find("label", **{"for": "username", "class": "cdx-label__label"})
    assert page.find("button", type="submit", **{"class": "cdx-button cdx-button--action-progressive "
                                                            "cdx-button--weight-primary"})


def test_nav_links_appear_only_for_pages_that_exist(app: Flask) -> None:
    html = app.test_client().get("/").get_data(as_text=True)
    assert '<a class="kudos-nav__link" href="/" aria-current="page">Wall</a>' in html
    for path, label in (("/nominate", "Nominate"), ("/me", "My kudos")):
        assert f'<a class="kudos-nav__link" href="{path}">{label}</a>' in html
    with app.test_request_context("/"):
        app.preprocess_request()
        assert render_template_string("{{ nav_link('/nowhere', 'kudos-nav-nominate') }}") == ""


def test_a_page_without_its_own_title_still_renders(app: Flask) -> None:
    with app.test_request_context("/"):
        app.preprocess_request()
        html = render_template_string('{% extends "base.html" %}{% block content %}new page{% endblock %}')
    assert "<title>Kudos</title>" in html and "new page" in html
