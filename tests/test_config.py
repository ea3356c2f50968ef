"""Configuration: YAML plus TOOL_ variables, and one clear sentence for every mistake."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from kudos.config import load_config
from kudos.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = secrets.token_hex(32)  # made per run: production refuses a key written in the repository
PRODUCTION = f"\nsecret_key: {SECRET_KEY}" + """
wikis:
  orwiki: {api_url: "https://or.wikipedia.org/w/api.php", language: or, name: Odia Wikipedia}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_production_configuration_loads(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, PRODUCTION), environ={})
    assert config.production and not config.dev_login
    assert config.wiki("orwiki").language == "or"


def test_production_without_secret_stops_with_a_sentence_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="“secret_key” is missing"):
        load_config(_write(tmp_path, PRODUCTION.replace(f"secret_key: {SECRET_KEY}", "")),
                    environ={})


def test_production_refuses_the_demo_login(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="“dev_login” must be false in production"):
        load_config(_write(tmp_path, PRODUCTION + "dev_login: true\n"), environ={})


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+, column \d+"):
        load_config(_write(tmp_path, "secret_key: x\nwikis: [unclosed\n"), environ={})


def test_campaign_on_an_unknown_wiki_is_refused(tmp_path: Path) -> None:
    text = PRODUCTION + "campaigns:\n  - {slug: odia-2026, name: Odia 2026, wiki: xxwiki}\n"
    with pytest.raises(ConfigError, match="names the wiki “xxwiki”, which is not configured"):
        load_config(_write(tmp_path, text), environ={})


@pytest.mark.parametrize("slug", ['new', '"odia-2026\\n"', "Odia-2026", "-odia"])
def test_a_campaign_slug_the_web_could_not_address_is_refused(tmp_path: Path, slug: str) -> None:
    # The same rule as the web form and the command line: "new" is the creation form's address.
    text = PRODUCTION + f"campaigns:\n  - {{slug: {slug}, name: Odia 2026, wiki: orwiki}}\n"
    with pytest.raises(ConfigError, match="needs a “slug” of lower-case letters, digits and -"):
        load_config(_write(tmp_path, text), environ={})


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="“secretkey” is not known"):
        load_config(_write(tmp_path, PRODUCTION + "secretkey: typo\n"), environ={})


def test_environment_variables_override_nested_keys(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, PRODUCTION), environ={
        "TOOL_OAUTH__CONSUMER_KEY": "key123",
        "TOOL_OAUTH__CONSUMER_SECRET": "secret456",
        "TOOL_ADMINS": "[alice, Bob_Smith]",
        "TOOL_WIKIS__ORWIKI__NAME": "ଓଡ଼ିଆ ଉଇକିପିଡ଼ିଆ",
        "TOOL_DATABASE_URL": "mysql+pymysql://u:p@host/db",
    })
    assert config.oauth.configured and config.oauth.consumer_key == "key123"
    assert config.admins == {"Alice", "Bob Smith"}
    assert config.wiki("orwiki").name == "ଓଡ଼ିଆ ଉଇକିପିଡ଼ିଆ"
    assert config.database_url == "mysql+pymysql://u:p@host/db"


def test_toolsdb_credentials_select_the_tools_database(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, PRODUCTION), environ={
        "TOOL_TOOLSDB_USER": "s12345", "TOOL_TOOLSDB_PASSWORD": "pw"})
    assert config.database_url == ("mysql+pymysql://s12345:pw@tools.db.svc.wikimedia.cloud/s12345__kudos"
                                   "?charset=utf8mb4")


def test_development_needs_nothing_configured() -> None:
    config = load_config(path="/dev/null", environ={}, overrides={"environment": "development"})
    assert config.dev_login and config.secret_key
    assert set(config.wikis) == {"enwiki", "orwiki"}
    assert config.database_url.startswith("sqlite:///")


@pytest.mark.parametrize("text,sentence", [
    ("", "“secret_key” is missing"),
    ("secret_key: [oops\n", "is not valid YAML"),
    (PRODUCTION + "campaigns:\n  - {slug: x, name: X, wiki: nowiki}\n", "names the wiki “nowiki”"),
])
def test_the_command_line_stops_with_one_sentence_and_no_traceback(tmp_path: Path, text: str,
                                                                    sentence: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOOL_")}
    env["KUDOS_CONFIG"] = str(_write(tmp_path, text))
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert sentence in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_example_configuration_is_valid_and_documents_every_key() -> None:
    import re

    example = ROOT / "config.example.yaml"
    config = load_config(example, environ={"TOOL_SECRET_KEY": SECRET_KEY})
    assert config.campaigns[0].wiki == "orwiki"
    documented = set(re.findall(r"^([a-z_]+):", example.read_text(), flags=re.MULTILINE))
    with pytest.raises(ConfigError) as raised:
        load_config(example, environ={"TOOL_SECRET_KEY": SECRET_KEY}, overrides={"no_such_key": 1})
    assert "no_such_key" in str(raised.value)
    from kudos import config as config_module

    source = Path(config_module.__file__).read_text()
    known = set(re.search(r"known = \{(.*?)\}", source, re.DOTALL).group(1).replace('"', "").replace("\n", "")
                .replace(" ", "").split(","))
    assert known - {""} <= documented


def test_campaign_creation_bar_has_defaults_and_a_per_wiki_override(tmp_path: Path) -> None:
    default = load_config(_write(tmp_path, PRODUCTION), environ={})
    assert (default.creation_bar("orwiki").self_service, default.creation_bar("orwiki").min_edits,
            default.creation_bar("orwiki").min_account_age_days) == (True, 300, 30)
    text = PRODUCTION + """  enwiki: {api_url: "https://en.wikipedia.org/w/api.php", language: en}
campaign_creation:
  min_edits: 500
  wikis:
    enwiki: {self_service: false}
"""
    config = load_config(_write(tmp_path, text), environ={})
    assert config.creation_bar("orwiki").min_edits == 500 and config.creation_bar("orwiki").self_service
    assert not config.creation_bar("enwiki").self_service and config.creation_bar("enwiki").min_edits == 500


@pytest.mark.parametrize("section,sentence", [
    ("campaign_creation: {min_edits: -1}", "“campaign_creation.min_edits” must be a whole number"),
    ("campaign_creation: {self_service: maybe}", "“campaign_creation.self_service” must be true or false"),
    ("campaign_creation: {wikis: {xxwiki: {min_edits: 3}}}", "“campaign_creation.wikis.xxwiki” names a wiki"),
    ("campaign_creation: {min_age: 3}", "“campaign_creation.min_age” is not known"),
])
def test_a_bad_creation_bar_is_refused(tmp_path: Path, section: str, sentence: str) -> None:
    with pytest.raises(ConfigError, match=sentence):
        load_config(_write(tmp_path, PRODUCTION + section + "\n"), environ={})


def test_a_wiki_has_a_time_zone_utc_unless_configured(tmp_path: Path) -> None:
    assert load_config(_write(tmp_path, PRODUCTION), environ={}).wiki("orwiki").timezone == "UTC"
    text = PRODUCTION.replace("name: Odia Wikipedia}", "name: Odia Wikipedia, timezone: Asia/Kolkata}")
    assert load_config(_write(tmp_path, text), environ={}).wiki("orwiki").timezone == "Asia/Kolkata"
    with pytest.raises(ConfigError, match="“wikis.orwiki.timezone” must be an IANA time zone name"):
        load_config(_write(tmp_path, text.replace("Asia/Kolkata", "Odisha/Cuttack")), environ={})


def test_a_channel_may_be_limited_to_some_wikis(tmp_path: Path) -> None:
    text = PRODUCTION + """  enwiki: {api_url: "https://en.wikipedia.org/w/api.php", language: en}
channels:
  odia-mastodon: {type: mastodon, wikis: [orwiki]}
  everywhere: {type: matrix}
"""
    config = load_config(_write(tmp_path, text), environ={})
    assert config.channels_for("orwiki") == ["odia-mastodon", "everywhere"]
    assert config.channels_for("enwiki") == ["everywhere"]
    with pytest.raises(ConfigError, match="“channels.odia-mastodon.wikis” names the wiki “xxwiki”"):
        load_config(_write(tmp_path, text.replace("[orwiki]", "[xxwiki]")), environ={})
