"""Configuration: a YAML file plus `TOOL_`-prefixed environment variables, validated once at start-up.

Toolforge passes secrets as environment variables (`toolforge envvars`), which cannot hold nested
YAML, so `TOOL_OAUTH__CONSUMER_KEY` sets `oauth.consumer_key`. Every problem is reported as one
sentence that names the key, and the process stops.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from kudos import secret_key as secret_key_rules
from kudos.errors import ConfigError
from kudos.names import canonical_username

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
ENV_PREFIX = "TOOL_"
DEFAULT_OAUTH_URI = "https://meta.wikimedia.org/w/index.php"
BUILTIN_CHANNELS = ("talkpage", "wall")
SOCIAL_TYPES = ("mastodon", "bluesky", "telegram", "matrix", "discord", "slack", "zulip")
_WIKI_ID = re.compile(r"^[a-z0-9_-]{1,64}$")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
RESERVED_SLUGS = frozenset({"new"})  # /campaigns/new is the creation form, not a campaign


def is_campaign_slug(slug: str) -> bool:
    """A campaign's short name as its addresses need it: lower-case letters, digits and -, not a reserved word."""
    return _SLUG.fullmatch(slug) is not None and slug not in RESERVED_SLUGS


# A signed-in session ends this long after sign-in, whatever happens in between (a working day and then some).
DEFAULT_SESSION_HOURS = 12

# A development instance with nothing configured still has two wikis to nominate on: the demo's local
# MediaWikis (`make run` serves them, see kudos.demo), never a production wiki.
DEMO_WIKI_PORT = 8801
DEMO_WIKIS: dict[str, dict[str, str]] = {
    "enwiki": {"api_url": f"http://127.0.0.1:{DEMO_WIKI_PORT}/api.php", "language": "en",
               "name": "English Wikipedia (local demo)"},
    "orwiki": {"api_url": f"http://127.0.0.1:{DEMO_WIKI_PORT + 1}/api.php", "language": "or",
               "name": "Odia Wikipedia (local demo)"},
}


@dataclass(frozen=True)
class Wiki:
    id: str
    api_url: str
    language: str
    name: str
    throttle: float | None = None  # seconds between the bot's edits here; None: `bot.throttle`
    timezone: str = "UTC"  # IANA name: campaign dates are shown and typed in the wiki's own time

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def index_url(self) -> str:
        return self.api_url.rsplit("/", 1)[0] + "/index.php"


@dataclass(frozen=True)
class OAuthSettings:
    mw_uri: str = DEFAULT_OAUTH_URI
    consumer_key: str = ""
    consumer_secret: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.consumer_key and self.consumer_secret)


@dataclass(frozen=True)
class CampaignSpec:
    """A campaign declared in configuration; `flask campaign sync` writes it to the database."""

    slug: str
    name: str
    wiki: str
    kind: str = "event"
    organizers: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreationBar:
    """Who may create a campaign on a wiki without a tool admin (`campaign_creation`)."""

    self_service: bool = True
    min_edits: int = 300
    min_account_age_days: int = 30


@dataclass(frozen=True)
class Config:
    environment: str
    database_url: str
    secret_key: str
    dev_login: bool
    admins: frozenset[str]
    wikis: dict[str, Wiki]
    oauth: OAuthSettings
    tool_url: str
    contact: str
    read_only_reason: str
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Development only: why the demo's local wikis are not running. Users are then checked against the
    # demo's people (kudos.demo.directory) and nothing is delivered.
    wikis_offline: str = ""
    campaigns: tuple[CampaignSpec, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)
    session_lifetime: timedelta = timedelta(hours=DEFAULT_SESSION_HOURS)
    creation: CreationBar = CreationBar()
    creation_per_wiki: dict[str, CreationBar] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def user_agent(self) -> str:
        return f"Kudos/0.1 ({self.tool_url}; {self.contact})"

    def wiki(self, wiki_id: str) -> Wiki:
        try:
            return self.wikis[wiki_id]
        except KeyError:
            raise ConfigError(f"The wiki “{wiki_id}” is not configured; add it under “wikis”.") from None

    def wiki_name(self, wiki_id: str) -> str:
        """The wiki's name for people, or its id once it is no longer configured (old shout-outs stay)."""
        wiki = self.wikis.get(wiki_id)
        return wiki.name if wiki else wiki_id

    def throttle(self, wiki_id: str) -> float:
        """Seconds between the bot's edits on a wiki: its own `wikis.<id>.throttle`, else `bot.throttle`."""
        wiki = self.wikis.get(wiki_id)
        if wiki is not None and wiki.throttle is not None:
            return wiki.throttle
        return float(self.section("bot").get("throttle", 10))

    def creation_bar(self, wiki_id: str) -> CreationBar:
        return self.creation_per_wiki.get(wiki_id, self.creation)

    def channels_for(self, wiki_id: str) -> list[str]:
        """The social channels a campaign on this wiki may post to: `channels.<name>.wikis`, else every wiki."""
        return [name for name, spec in self.channels.items() if wiki_id in spec.get("wikis", self.wikis)]

    def section(self, name: str) -> dict[str, Any]:
        """A free-form section (bot, delivery, awards …) that a later part of the tool validates itself."""
        value = self.raw.get(name) or {}
        if not isinstance(value, dict):
            raise ConfigError(f"The configuration key “{name}” must be a mapping.")
        return value


def load_config(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Read the YAML file (if any), apply environment overrides, then validate."""
    environ = os.environ if environ is None else environ
    file_path = Path(path or environ.get("KUDOS_CONFIG") or PROJECT_ROOT / "config.yaml")
    data: dict[str, Any] = {}
    if file_path.exists():
        data = _read_yaml(file_path)
    elif path is not None or "KUDOS_CONFIG" in environ:
        raise ConfigError(f"The configuration file {file_path} does not exist.")
    _apply_environment(data, environ)
    if not data.get("database_url") and environ.get("TOOL_TOOLSDB_USER") and environ.get("TOOL_TOOLSDB_PASSWORD"):
        data["database_url"] = toolsdb_url(environ["TOOL_TOOLSDB_USER"], environ["TOOL_TOOLSDB_PASSWORD"])
    for key, value in (overrides or {}).items():
        data[key] = value
    return _validate(data)


def load_config_or_exit() -> Config:
    """For entry points: a bad configuration stops the process with its one sentence, not a traceback."""
    try:
        return load_config()
    except ConfigError as error:
        print(f"Kudos cannot start: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _read_yaml(file_path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(file_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        where = ""
        mark = getattr(error, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        raise ConfigError(f"The configuration file {file_path} is not valid YAML{where}.") from None
    except OSError as error:
        raise ConfigError(f"The configuration file {file_path} cannot be read: {error.strerror}.") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"The configuration file {file_path} must hold a mapping of keys to values.")
    return loaded


def _apply_environment(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    # Toolforge itself sets TOOL_DATA_DIR and the ToolsDB credentials; those are not our keys.
    ignored = {"TOOL_DATA_DIR", "TOOL_TOOLSDB_USER", "TOOL_TOOLSDB_PASSWORD"}
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name in ignored:
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX):].split("__") if part]
        if not path:
            continue
        target = data
        for part in path[:-1]:
            child = target.get(part)
            if not isinstance(child, dict):
                child = {}
                target[part] = child
            target = child
        target[path[-1]] = _env_value(environ[name])


def _env_value(text: str) -> Any:
    """Environment values are YAML scalars or flow collections: `true`, `5`, `[Alice, Bob]`."""
    try:
        return yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        return text


def _validate(data: dict[str, Any]) -> Config:
    known = {
        "environment", "database_url", "secret_key", "dev_login", "admins", "wikis", "oauth", "tool_url",
        "contact", "read_only_reason", "channels", "campaigns", "bot", "delivery", "awards", "ratelimit",
        "consent", "retention_days", "redis_url", "insight", "session_lifetime_hours", "wikis_offline",
        "suggestions", "campaign_creation",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"The configuration key “{unknown[0]}” is not known; see config.example.yaml.")

    retention = data.get("retention_days")
    if retention is not None and (isinstance(retention, bool) or not isinstance(retention, int) or retention < 1):
        raise ConfigError("The configuration key “retention_days” must be a whole number of days (1 or more).")

    environment = _string(data, "environment", "production")
    if environment not in ("production", "development"):
        raise ConfigError("The configuration key “environment” must be “production” or “development”.")
    production = environment == "production"

    oauth = _oauth(data.get("oauth"))
    dev_login = _bool(data, "dev_login", default=not production and not oauth.configured)
    if production and dev_login:
        raise ConfigError("The configuration key “dev_login” must be false in production: the demo login "
                          "lets anyone sign in as anyone.")
    secret_key = _string(data, "secret_key", "")
    if production:
        secret_key_rules.check(secret_key, PROJECT_ROOT)
    elif not secret_key:
        secret_key = _development_secret()

    wikis = _wikis(data.get("wikis"), production)
    wikis_offline = _string(data, "wikis_offline", "")
    if production and wikis_offline:
        raise ConfigError("The configuration key “wikis_offline” is for the demo only; production talks to its "
                          "wikis.")
    channels = _channels(data.get("channels"), wikis)
    creation, creation_per_wiki = _creation(data.get("campaign_creation"), wikis)
    campaigns = _campaigns(data.get("campaigns"), wikis, channels)
    admins = data.get("admins") or []
    if isinstance(admins, str):
        admins = [admins]
    if not isinstance(admins, list) or not all(isinstance(a, str) for a in admins):
        raise ConfigError("The configuration key “admins” must be a list of user names.")

    return Config(
        environment=environment,
        database_url=_database_url(data),
        secret_key=secret_key,
        dev_login=dev_login,
        admins=frozenset(canonical_username(a) for a in admins if a.strip()),
        wikis=wikis,
        oauth=oauth,
        tool_url=_string(data, "tool_url", "https://kudos.toolforge.org").rstrip("/"),
        contact=_string(data, "contact", "https://kudos.toolforge.org/"),
        read_only_reason=_string(data, "read_only_reason", ""),
        channels=channels,
        campaigns=campaigns,
        wikis_offline=wikis_offline,
        raw=data,
        session_lifetime=_session_lifetime(data.get("session_lifetime_hours")),
        creation=creation,
        creation_per_wiki=creation_per_wiki,
    )


def _creation(value: Any, wikis: dict[str, Wiki]) -> tuple[CreationBar, dict[str, CreationBar]]:
    if value is None:
        return CreationBar(), {}
    if not isinstance(value, dict):
        raise ConfigError("The configuration key “campaign_creation” must be a mapping.")
    base = _bar(value, CreationBar(), "campaign_creation.")
    per_wiki = value.get("wikis") or {}
    if not isinstance(per_wiki, dict):
        raise ConfigError("The configuration key “campaign_creation.wikis” must map wiki ids to settings.")
    bars = {}
    for wiki_id, spec in per_wiki.items():
        if str(wiki_id) not in wikis:
            raise ConfigError(f"The configuration key “campaign_creation.wikis.{wiki_id}” names a wiki that is "
                              f"not configured under “wikis”.")
        if not isinstance(spec, dict):
            raise ConfigError(f"The configuration key “campaign_creation.wikis.{wiki_id}” must be a mapping.")
        bars[str(wiki_id)] = _bar(spec, base, f"campaign_creation.wikis.{wiki_id}.")
    return base, bars


def _bar(spec: dict[str, Any], base: CreationBar, where: str) -> CreationBar:
    unknown = sorted(set(spec) - {"self_service", "min_edits", "min_account_age_days", "wikis"})
    if unknown or (where != "campaign_creation." and "wikis" in spec):
        raise ConfigError(f"The configuration key “{where}{(unknown or ['wikis'])[0]}” is not known.")
    self_service = spec.get("self_service", base.self_service)
    if not isinstance(self_service, bool):
        raise ConfigError(f"The configuration key “{where}self_service” must be true or false.")
    numbers = {}
    for key in ("min_edits", "min_account_age_days"):
        number = spec.get(key, getattr(base, key))
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ConfigError(f"The configuration key “{where}{key}” must be a whole number (0 or more).")
        numbers[key] = number
    return CreationBar(self_service, **numbers)


def _session_lifetime(value: Any) -> timedelta:
    if value is None:
        return timedelta(hours=DEFAULT_SESSION_HOURS)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 24 * 90:
        raise ConfigError("The configuration key “session_lifetime_hours” must be a whole number of hours "
                          "from 1 to 2160.")
    return timedelta(hours=value)


def _string(data: Mapping[str, Any], key: str, default: str, where: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ConfigError(f"The configuration key “{where}{key}” must be text.")
    return str(value)


def _bool(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(f"The configuration key “{key}” must be true or false.")
    return value


def _oauth(value: Any) -> OAuthSettings:
    if value is None:
        return OAuthSettings()
    if not isinstance(value, dict):
        raise ConfigError("The configuration key “oauth” must be a mapping with mw_uri, consumer_key and "
                          "consumer_secret.")
    return OAuthSettings(
        mw_uri=_string(value, "mw_uri", DEFAULT_OAUTH_URI, "oauth."),
        consumer_key=_string(value, "consumer_key", "", "oauth."),
        consumer_secret=_string(value, "consumer_secret", "", "oauth."),
    )


def _database_url(data: Mapping[str, Any]) -> str:
    url = _string(data, "database_url", "")
    if url:
        if not url.startswith(("sqlite:", "mysql+pymysql:", "mariadb+pymysql:")):
            raise ConfigError("The configuration key “database_url” must start with sqlite: or mysql+pymysql:.")
        return url
    return f"sqlite:///{INSTANCE_DIR / 'kudos.sqlite'}"


def toolsdb_url(user: str, password: str) -> str:
    """ToolsDB names a tool's databases `<user>__<name>`; utf8mb4 so every script fits."""
    return (f"mysql+pymysql://{quote(user)}:{quote(password)}@tools.db.svc.wikimedia.cloud/"
            f"{quote(user)}__kudos?charset=utf8mb4")


def _development_secret() -> str:
    """A development secret that survives restarts, so demo sessions are not lost on reload."""
    path = INSTANCE_DIR / "dev-secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        INSTANCE_DIR.mkdir(exist_ok=True)
        secret = secrets.token_hex(32)
        path.write_text(secret)
        path.chmod(0o600)
        return secret


def _wikis(value: Any, production: bool) -> dict[str, Wiki]:
    if value is None:
        if production:
            raise ConfigError("The configuration key “wikis” is missing; configure at least one wiki.")
        value = DEMO_WIKIS
    if not isinstance(value, dict) or not value:
        raise ConfigError("The configuration key “wikis” must map wiki ids to api_url, language and name.")
    wikis: dict[str, Wiki] = {}
    for wiki_id, spec in value.items():
        wiki_id = str(wiki_id)
        if not _WIKI_ID.match(wiki_id):
            raise ConfigError(f"The wiki id “{wiki_id}” may hold only lower-case letters, digits, - and _.")
        if not isinstance(spec, dict):
            raise ConfigError(f"The configuration key “wikis.{wiki_id}” must be a mapping.")
        where = f"wikis.{wiki_id}."
        api_url = _string(spec, "api_url", "", where)
        if not api_url.startswith(("https://", "http://")) or not api_url.endswith("api.php"):
            raise ConfigError(f"The configuration key “{where}api_url” must be the URL of the wiki's api.php.")
        language = _string(spec, "language", "", where)
        if not language:
            raise ConfigError(f"The configuration key “{where}language” is missing.")
        timezone = _string(spec, "timezone", "UTC", where)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"The configuration key “{where}timezone” must be an IANA time zone name such "
                              f"as Asia/Kolkata.") from None
        wikis[wiki_id] = Wiki(wiki_id, api_url, language, _string(spec, "name", wiki_id, where),
                              _seconds(spec, "throttle", where), timezone)
    return wikis


def _seconds(data: Mapping[str, Any], key: str, where: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"The configuration key “{where}{key}” must be a number of seconds (0 or more).")
    return float(value)


def _channels(value: Any, wikis: dict[str, Wiki]) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError("The configuration key “channels” must map channel names to their settings.")
    value = _merge_environment_channels({str(name): spec for name, spec in value.items()})
    channels: dict[str, dict[str, Any]] = {}
    for name, spec in value.items():
        if name in BUILTIN_CHANNELS:
            raise ConfigError(f"The channel name “{name}” is reserved; choose another name.")
        if not isinstance(spec, dict) or spec.get("type") not in SOCIAL_TYPES:
            raise ConfigError(f"The configuration key “channels.{name}.type” must be one of "
                              f"{', '.join(SOCIAL_TYPES)}.")
        allowed = spec.get("wikis")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(w, str) for w in allowed):
                raise ConfigError(f"The configuration key “channels.{name}.wikis” must be a list of wiki ids.")
            for wiki_id in allowed:
                if wiki_id not in wikis:
                    raise ConfigError(f"The configuration key “channels.{name}.wikis” names the wiki “{wiki_id}”, "
                                      f"which is not configured under “wikis”.")
        channels[name] = dict(spec)
    return channels


def _merge_environment_channels(value: dict[str, Any]) -> dict[str, Any]:
    """Fold TOOL_CHANNELS__ODIA_MASTODON__ACCESS_TOKEN into the channel “odia-mastodon”.

    Variable names cannot hold “-”, so a secret for a hyphenated channel arrives under the name with
    “_”; without a `type` of its own it belongs to the configured channel of the same spelling.
    """
    merged = dict(value)
    for name, spec in value.items():
        if not isinstance(spec, dict) or "type" in spec:
            continue
        twins = [other for other in value if other != name and other.replace("-", "_") == name]
        if len(twins) == 1 and isinstance(merged.get(twins[0]), dict):
            merged[twins[0]] = {**merged[twins[0]], **spec}
            del merged[name]
    return merged


def _campaigns(value: Any, wikis: dict[str, Wiki], channels: dict[str, Any]) -> tuple[CampaignSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError("The configuration key “campaigns” must be a list of campaigns.")
    specs = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ConfigError(f"Campaign number {index + 1} in the configuration must be a mapping.")
        slug = _string(item, "slug", "", "campaigns[].")
        if not is_campaign_slug(slug):
            raise ConfigError(f"Campaign number {index + 1} needs a “slug” of lower-case letters, digits and -.")
        wiki = _string(item, "wiki", "", "campaigns[].")
        if wiki not in wikis:
            raise ConfigError(f"The campaign “{slug}” names the wiki “{wiki}”, which is not configured under "
                              f"“wikis”.")
        wanted = tuple(str(c) for c in item.get("channels") or ())
        for channel in wanted:
            if channel not in channels and channel not in BUILTIN_CHANNELS:
                raise ConfigError(f"The campaign “{slug}” names the channel “{channel}”, which is not "
                                  f"configured under “channels”.")
        specs.append(CampaignSpec(
            slug=slug,
            name=_string(item, "name", slug, "campaigns[]."),
            wiki=wiki,
            kind=_string(item, "kind", "event", "campaigns[]."),
            organizers=tuple(canonical_username(o) for o in item.get("organizers") or ()),
            channels=wanted,
        ))
    return tuple(specs)
