"""`flask --app app check-config`: is this configuration ready for production, and does every dependency answer?

Each check reaches one dependency with a harmless read (no post, no edit) and yields one `CheckResult`.
Social channels are checked by a small function per channel type, found in CHANNEL_CHECKS; a type
without a harmless read call is reported as skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import mwoauth
import requests
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from kudos import maintenance, migrate
from kudos.config import Config
from kudos.db import Database
from kudos.errors import KudosError

TIMEOUT = 15.0


class CheckFailed(Exception):
    """A check's failure, as a sentence with the reason (never containing a secret)."""


@dataclass(frozen=True)
class CheckResult:
    status: str  # "ok", "FAIL" or "skip"
    kind: str
    name: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"

    def line(self) -> str:
        label = f"{self.kind} {self.name}".strip()
        return f"{self.status:<4} {label}  {self.detail}"


class Skipped(Exception):
    """The dependency cannot be checked without side effects; the message says why."""


@dataclass
class Probe:
    """HTTP for the checks: the tool's user agent, a timeout, and error messages with secrets removed."""

    config: Config
    secrets: tuple[str, ...] = ()
    session: requests.Session | None = None

    def __post_init__(self) -> None:
        self.session = self.session or requests.Session()
        self.session.headers["User-Agent"] = self.config.user_agent

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "…")
        return text

    def request(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        assert self.session is not None
        try:
            return self.session.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.Timeout:
            raise CheckFailed(f"{what} did not answer within {TIMEOUT:.0f} s.") from None
        except requests.ConnectionError as error:
            raise CheckFailed(f"{what} cannot be reached ({self.redact(_short(error))}).") from None
        except requests.RequestException as error:
            raise CheckFailed(f"{what} failed: {self.redact(_short(error))}.") from None

    def json(self, method: str, url: str, what: str, **kwargs: Any) -> Any:
        response = self.request(method, url, what, **kwargs)
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code in (401, 403):
            raise CheckFailed(f"{what} refused the credentials (HTTP {response.status_code}"
                              f"{_error_text(data)}); check the token or password.")
        if not response.ok:
            raise CheckFailed(f"{what} answered HTTP {response.status_code}{_error_text(data)}.")
        if data is None:
            raise CheckFailed(f"{what} did not answer with JSON.")
        return data


def _short(error: BaseException) -> str:
    return (str(error).strip() or type(error).__name__)[:200]


def _error_text(data: Any) -> str:
    if isinstance(data, dict):
        for key in ("error", "description", "msg", "message", "error_description"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("info") or value.get("code")
            if value:
                return f": {str(value)[:150]}"
    return ""


def _setting(spec: dict[str, Any], key: str, channel: str, default: str | None = None) -> str:
    value = spec.get(key, default)
    if value in (None, ""):
        raise CheckFailed(f"channels.{channel}.{key} is not set.")
    return str(value).rstrip("/") if key in ("base_url", "homeserver", "site") else str(value)


# --- the checks ---

def check_production(config: Config) -> str:
    if not config.production:
        return "development configuration; production-only rules not applied"
    problems = []
    if not config.oauth.configured:
        problems.append("oauth.consumer_key and oauth.consumer_secret are not set (nobody could sign in)")
    if not config.admins:
        problems.append("admins is empty (nobody could create campaigns)")
    if not config.tool_url.startswith("https://"):
        problems.append("tool_url must be an https:// address")
    if config.database_url.startswith("sqlite:"):
        problems.append("database_url points at SQLite; Toolforge needs ToolsDB (set TOOL_TOOLSDB_USER/PASSWORD)")
    try:
        maintenance.retention_days(config)
        maintenance.consent_days(config)
    except KudosError as error:
        problems.append(error.message)
    if problems:
        raise CheckFailed("; ".join(problems) + ".")
    return f"production, {len(config.wikis)} wikis, {len(config.channels)} social channels"


def check_database(config: Config, database: Database) -> str:
    url = make_url(database.url)
    where = f"{url.get_backend_name()} {url.database or ''}".strip()
    try:
        database.ping()
        current = migrate.current(database.url)
    except Exception as error:  # noqa: BLE001 - any driver error is the answer, said in one line
        raise CheckFailed(f"{where} cannot be reached ({_short(error).splitlines()[0]}).") from None
    head = ScriptDirectory.from_config(migrate._alembic(database.url)).get_current_head()
    if current is None:
        raise CheckFailed(f"{where} has no schema; run the migrate job (flask --app app db upgrade).")
    if current != head:
        raise CheckFailed(f"{where} is at revision {current} but the code needs {head}; run the migrate job.")
    return f"{where} at revision {current} (head)"


def check_wiki(probe: Probe, api_url: str) -> str:
    data = probe.json("GET", api_url, "The wiki's API", params={
        "action": "query", "meta": "siteinfo", "format": "json", "formatversion": "2"})
    general = (data.get("query") or {}).get("general") if isinstance(data, dict) else None
    if not isinstance(general, dict):
        raise CheckFailed(f"{api_url} answered without siteinfo{_error_text(data)}; is it a MediaWiki api.php?")
    readonly = " (the wiki is read-only now)" if general.get("readonly") else ""
    return f"{general.get('sitename', '?')}, {general.get('generator', 'MediaWiki')}{readonly}"


def check_oauth(probe: Probe) -> str:
    oauth = probe.config.oauth
    if not oauth.configured:
        response = probe.request("GET", oauth.mw_uri, "The OAuth server")
        if response.status_code >= 500:
            raise CheckFailed(f"{oauth.mw_uri} answered HTTP {response.status_code}.")
        return f"{oauth.mw_uri} answers (no consumer configured)"
    # Asking for a request token is harmless and proves the consumer key and secret are accepted.
    handshaker = mwoauth.Handshaker(oauth.mw_uri, mwoauth.ConsumerToken(oauth.consumer_key, oauth.consumer_secret),
                                    user_agent=probe.config.user_agent)
    try:
        handshaker.initiate()
    except (mwoauth.OAuthException, requests.RequestException, TypeError, KeyError, ValueError) as error:
        raise CheckFailed(f"{oauth.mw_uri} refused the consumer ({probe.redact(_short(error))}); check "
                          f"oauth.consumer_key and oauth.consumer_secret.") from None
    return f"{oauth.mw_uri} accepts the consumer"


def _mastodon(probe: Probe, name: str, spec: dict[str, Any]) -> str:
    base, token = _setting(spec, "base_url", name), _setting(spec, "access_token", name)
    data = probe.json("GET", f"{base}/api/v1/accounts/verify_credentials", f"Mastodon ({base})",
                      headers={"Authorization": f"Bearer {token}"})
    return f"signed in as @{data.get('acct') or data.get('username')} on {base}"


def _bluesky(probe: Probe, name: str, spec: dict[str, Any]) -> str:
    base = _setting(spec, "base_url", name, "https://bsky.social")
    identifier, password = _setting(spec, "identifier", name), _setting(spec, "app_password", name)
    # createSession is a sign-in (rate limited to 30 per 5 minutes): the only way to test an app password.
    session = probe.json("POST", f"{base}/xrpc/com.atproto.server.createSession", f"Bluesky ({base})",
                         json={"identifier": identifier, "password": password})
    me = probe.json("GET", f"{base}/xrpc/com.atproto.server.getSession", f"Bluesky ({base})",
                    headers={"Authorization": f"Bearer {session.get('accessJwt', '')}"})
    return f"signed in as {me.get('handle')} on {base}"


def _telegram(probe: Probe, name: str, spec: dict[str, Any]) -> str:
    base = _setting(spec, "base_url", name, "https://api.telegram.org")
    token = _setting(spec, "bot_token", name)
    data = probe.json("GET", f"{base}/bot{token}/getMe", "Telegram")
    return f"bot @{(data.get('result') or {}).get('username')}"


def _matrix(probe: Probe, name: str, spec: dict[str, Any]) -> str:
    base, token = _setting(spec, "homeserver", name), _setting(spec, "access_token", name)
    data = probe.json("GET", f"{base}/_matrix/client/v3/account/whoami", f"Matrix ({base})",
                      headers={"Authorization": f"Bearer {token}"})
    return f"signed in as {data.get('user_id')}"


def _discord(probe: Probe, name: str, spec: dict[str, Any]) -> str:
    data = probe.json("GET", _setting(spec, "webhook_url", name), "The Discord webhook")
    return f"webhook “{data.get('name')}”"


def _slack(probe: Probe, name: str, spec: dict[str, Any]) -> str:
    _setting(spec, "webhook_url", name)
    raise Skipped("Slack incoming webhooks have no read call; only a visible test post would prove the URL")


def _zulip(probe: Probe, name: str, spec: dict[str, Any]) -> str:
    site = _setting(spec, "site", name)
    for key in ("email", "api_key", "stream"):
        _setting(spec, key, name)
    data = probe.json("GET", f"{site}/api/v1/server_settings", f"Zulip ({site})")
    return f"server “{data.get('realm_name')}” answers (the key is tested by the first post)"


CHANNEL_CHECKS: dict[str, Callable[[Probe, str, dict[str, Any]], str]] = {
    "mastodon": _mastodon, "bluesky": _bluesky, "telegram": _telegram, "matrix": _matrix,
    "discord": _discord, "slack": _slack, "zulip": _zulip,
}
SECRET_KEYS = ("access_token", "app_password", "bot_token", "webhook_url", "api_key")


def _run(kind: str, name: str, check: Callable[[], str]) -> CheckResult:
    try:
        return CheckResult("ok", kind, name, check())
    except Skipped as reason:
        return CheckResult("skip", kind, name, str(reason))
    except (CheckFailed, KudosError) as error:
        return CheckResult("FAIL", kind, name, str(error))


def run_checks(config: Config, database: Database, session: requests.Session | None = None) -> Iterator[CheckResult]:
    secrets = [config.secret_key, config.oauth.consumer_secret]
    secrets += [str(spec.get(key) or "") for spec in config.channels.values() for key in SECRET_KEYS]
    probe = Probe(config, tuple(s for s in secrets if s), session)
    yield _run("config", "", lambda: check_production(config))
    yield _run("database", "", lambda: check_database(config, database))
    for wiki_id, wiki in sorted(config.wikis.items()):
        yield _run("wiki", wiki_id, lambda api=wiki.api_url: check_wiki(probe, api))  # type: ignore[misc]
    yield _run("oauth", "", lambda: check_oauth(probe))
    for name, spec in sorted(config.channels.items()):
        check = CHANNEL_CHECKS.get(str(spec.get("type")))
        if check is None:
            yield CheckResult("FAIL", "channel", name, f"no check for the channel type “{spec.get('type')}”.")
            continue
        yield _run("channel", name, lambda c=check, n=name, s=spec: c(probe, n, s))  # type: ignore[misc]
