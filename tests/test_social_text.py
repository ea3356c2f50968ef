"""The shout-out's words: templates per language, cutting at grapheme boundaries, links never cut."""

import pytest

from kudos.errors import ConfigError
from kudos.social.text import (
    DEFAULT_TEMPLATES,
    ZWJ,
    Rendered,
    check_template,
    choose_template,
    grapheme_count,
    graphemes,
    mastodon_count,
    no_mentions,
    render,
)
from kudos.wall import permalink
from tests.support import make_config

URL = "https://kudos.toolforge.org/shoutouts/42"
ODIA = "ଓଡ଼ିଆ ଉଇକିପିଡ଼ିଆରେ ନଦୀ ବିଷୟରେ ତିନୋଟି ସୁନ୍ଦର ପ୍ରବନ୍ଧ ଲେଖିଥିବାରୁ ଧନ୍ୟବାଦ"


def fields(message: str = "Wrote three fine articles about rivers.", **more: str) -> dict[str, str]:
    return {"recipient": "Ravi", "nominator": "Nina", "award": "The Original Barnstar", "message": message,
            "wiki": "Odia Wikipedia", "campaign": "Workshop", "url": URL, **more}


def test_permalink_is_built_in_one_place() -> None:
    config = make_config(tool_url="https://kudos.example.org/")
    assert permalink(config, 7) == "https://kudos.example.org/shoutouts/7"


def test_english_template_names_who_what_and_by_whom_with_the_link_and_hashtags() -> None:
    rendered = render(fields(), DEFAULT_TEMPLATES["en"], ("Wikipedia", "Odia"), 500, len)
    assert rendered.text == ("🌟 Ravi received The Original Barnstar from Nina on Odia Wikipedia: "
                             "“Wrote three fine articles about rivers.”\n" + URL + "\n#Wikipedia #Odia")
    assert rendered.text[rendered.url_start:rendered.url_end] == URL


def test_odia_template_is_chosen_for_odia_campaigns() -> None:
    template = choose_template(None, "or")
    rendered = render(fields(ODIA), template, (), 500, len)
    assert "ଦେଇଛନ୍ତି" in rendered.text and ODIA in rendered.text and URL in rendered.text
    assert choose_template(None, "xx") == DEFAULT_TEMPLATES["en"]
    assert choose_template({"or": "A {url}", "en": "B {url}"}, "or") == "A {url}"
    assert choose_template({"en": "B {url}"}, "or") == "B {url}"


@pytest.mark.parametrize("limit", [300, 200, 150, 120, 110, 90, 70, 60, 50])
def test_cutting_keeps_graphemes_whole_and_never_cuts_the_link(limit: int) -> None:
    message = (ODIA + " 👩🏽‍💻 ") * 10
    rendered = render(fields(message), choose_template(None, "or"), ("ଓଡ଼ିଆ",), limit, grapheme_count)
    assert grapheme_count(rendered.text) <= limit
    assert rendered.text[rendered.url_start:rendered.url_end] == URL
    assert rendered.text.count(URL) == 1
    # Every grapheme of the result is a grapheme of the full text: nothing was split.
    full = set(graphemes(render(fields(message), choose_template(None, "or"), ("ଓଡ଼ିଆ",), 10_000, len).text))
    assert set(graphemes(rendered.text)) <= full | {"…"}


def test_the_message_shrinks_before_the_hashtags_go() -> None:
    long = "word " * 100
    rendered = render(fields(long), DEFAULT_TEMPLATES["en"], ("Wikipedia",), 200, len)
    assert rendered.text.endswith("#Wikipedia") and "…" in rendered.text and len(rendered.text) <= 200


def test_mastodon_counts_every_url_as_23_characters() -> None:
    long_url = "https://kudos.toolforge.org/shoutouts/" + "9" * 60
    assert mastodon_count(f"Thanks {long_url}") == len("Thanks ") + 23
    rendered = render(fields("x" * 600, url=long_url), DEFAULT_TEMPLATES["en"], (), 500, mastodon_count)
    assert mastodon_count(rendered.text) <= 500 and len(rendered.text) > 500 - 23  # the URL's real length is free
    assert long_url in rendered.text


def test_nobody_is_mentioned() -> None:
    rendered = render(fields("Thanks @everyone and @Ravi@wikis.world!", recipient="@here"),
                      DEFAULT_TEMPLATES["en"], (), 500, len)
    assert "@everyone" not in rendered.text and "@here" not in rendered.text
    assert f"@{ZWJ}everyone" in rendered.text and f"@{ZWJ}Ravi@{ZWJ}wikis.world" in rendered.text
    assert no_mentions("a@b") == f"a@{ZWJ}b"


def test_html_escapes_the_text_and_links_the_url() -> None:
    rendered = Rendered(f"<b>Ravi</b> & co {URL}?a=1&b=2 !", f"{URL}?a=1&b=2", len("<b>Ravi</b> & co "))
    assert rendered.html() == (f'&lt;b&gt;Ravi&lt;/b&gt; &amp; co <a href="{URL}?a=1&amp;b=2">'
                               f'{URL}?a=1&amp;b=2</a> !')
    start, end = Rendered(f"ଧନ୍ୟବାଦ {URL}", URL, 8).url_bytes()
    assert f"ଧନ୍ୟବାଦ {URL}".encode()[start:end] == URL.encode()


def test_a_tiny_limit_keeps_at_least_the_link() -> None:
    rendered = render(fields(), DEFAULT_TEMPLATES["en"], ("Wikipedia",), len(URL) + 12, len)
    assert URL in rendered.text and len(rendered.text) <= len(URL) + 12


def test_unknown_placeholders_are_refused_with_the_key() -> None:
    with pytest.raises(ConfigError, match=r"channels\.x\.template.*\{recipent\}"):
        check_template("channels.x.template", "Thanks {recipent} {url}")
    check_template("channels.x.template", {"en": "{recipient} {url}"})


def test_a_template_without_the_link_still_gets_it() -> None:
    rendered = render(fields(), "Thanks {recipient}!", (), 500, len)
    assert rendered.text == f"Thanks Ravi!\n{URL}"
