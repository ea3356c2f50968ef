"""The preview's wikitext and the sanitizer that makes the wiki parser's HTML safe to embed."""

from __future__ import annotations

import pytest

from kudos.config import Wiki
from kudos.preview import Draft, preview_wikitext, sanitize_wiki_html
from tests.support import make_config

WIKI = Wiki("testwiki", "http://127.0.0.1:8080/api.php", "en", "Test Wiki")


@pytest.mark.parametrize("dangerous", [
    "<script>alert(1)</script>",
    "<style>body{display:none}</style>",
    '<p onclick="alert(1)">x</p>',
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example/"></iframe>',
    '<form action="https://evil.example/"><input name="password"></form>',
    '<img src="x" onerror="alert(1)">',
    '<svg><script>alert(1)</script></svg>',
    '<p style="background:url(https://evil.example/track)">x</p>',
    '<object data="x"></object>',
])
def test_scripts_styles_handlers_and_foreign_loads_are_removed(dangerous: str) -> None:
    cleaned = sanitize_wiki_html(f'<div class="mw-parser-output">{dangerous}</div>', WIKI).lower()
    for bad in ("<script", "<style", "onclick", "onerror", "javascript:", "<iframe", "<form", "<input",
                "style=", "<object", "evil.example", "alert("):
        assert bad not in cleaned


def test_images_load_only_from_upload_wikimedia_org() -> None:
    cleaned = sanitize_wiki_html(
        '<img src="//upload.wikimedia.org/wikipedia/commons/a/a1/Star.png" alt="star">'
        '<img src="https://tracker.example/pixel.gif">'
        '<img src="/images/local.png" srcset="https://tracker.example/2x.png 2x">', WIKI)
    assert 'src="https://upload.wikimedia.org/wikipedia/commons/a/a1/Star.png"' in cleaned
    assert "tracker.example" not in cleaned and "/images/local.png" not in cleaned


def test_relative_links_point_at_the_wiki_and_ids_are_dropped() -> None:
    cleaned = sanitize_wiki_html('<h2><span id="content">T</span></h2>'
                                 '<a href="/index.php/User:Nina" title="User:Nina">Nina</a>', WIKI)
    assert 'href="http://127.0.0.1:8080/index.php/User:Nina"' in cleaned
    assert 'id="content"' not in cleaned
    assert 'rel="nofollow noopener noreferrer"' in cleaned


def test_text_direction_and_language_survive() -> None:
    cleaned = sanitize_wiki_html('<div lang="he" dir="rtl" class="mw-content-rtl"><bdi>שלום</bdi></div>', WIKI)
    assert 'dir="rtl"' in cleaned and 'lang="he"' in cleaned and "<bdi>שלום</bdi>" in cleaned


def test_preview_wikitext_has_a_heading_the_award_and_the_message(database) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_campaign

    config = make_config()
    with database.transaction() as session:
        campaign = make_campaign(session, config)
        draft = Draft(campaign=campaign, wiki="orwiki", nominator="Nina", recipient="Ravi", award="teamwork",
                      message="Fixed {{every}} [[link]] in ten articles", link="Mahanadi")
        text = preview_wikitext(config, draft)
    assert text.startswith("== ") and "Teamwork Barnstar" in text
    assert "User:Nina" in text
    # The message is there as typed, and never as live markup: its brackets are character entities.
    assert "<bdi>Fixed &#123;&#123;every&#125;&#125; &#91;&#91;link&#93;&#93; in ten articles</bdi>" in text
    assert "{{every}}" not in text and "[[link]]" not in text
