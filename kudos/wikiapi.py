"""Read-only questions to a wiki's Action API: who exists, who is blocked, does a page or revision exist,
and how does some wikitext render.

Shared by the web tool (nomination checks, previews), the delivery job and reports, so it knows nothing
of Flask. Every failure to get an answer (network, timeout, 5xx, maxlag, an API error) becomes a
`WikiUnavailable` with a sentence a person can read; the caller decides whether that is a form error or a
retry later. User lookups are cached for a short time in-process, since a form submission asks the same
question twice (preview, then confirm).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from cachetools import TTLCache

from kudos.config import Config, Wiki
from kudos.errors import DomainError
from kudos.names import canonical_username

USERS_PER_REQUEST = 50  # list=users accepts 50 names per request without the apihighlimits right
TIMEOUT = (5.0, 20.0)  # connect, read (seconds)
MAXLAG = 5
CACHE_SECONDS = 120
CACHE_SIZE = 20_000
_TITLE_BYTES = 255
# Characters MediaWiki never allows in a title (and so in a user name); the API would call them invalid.
_ILLEGAL_TITLE = re.compile(r"[#<>\[\]|{}\x00-\x1f\x7f\ufffd]")
REVISION_PATH = re.compile(r"^Special:(?:Diff|PermanentLink|Permalink)/(\d+)(?:/(\d+))?$", re.IGNORECASE)


class WikiUnavailable(DomainError):
    """The wiki did not answer usefully; try again later. The message names what could not be checked."""


@dataclass(frozen=True)
class UserInfo:
    name: str  # as the wiki spells it
    exists: bool
    blocked: bool = False  # blocked site-wide (a partial block does not stop awards or nominations)
    editcount: int = 0
    central_id: int | None = None  # CentralAuth's global account id; None on a wiki without CentralAuth
    invalid: bool = False  # not a possible user name at all
    user_id: int | None = None  # the account's id on this wiki, which a rename keeps
    registered: datetime | None = None  # UTC; None for accounts older than MediaWiki's registration log


@dataclass(frozen=True)
class Link:
    """Where a nomination's link points on its wiki: a page, or a revision (diff or permanent link)."""

    title: str
    revid: int | None = None

    @property
    def target(self) -> str:
        """A wiki link target that works on that wiki: the title, or Special:Diff/<revid>."""
        return f"Special:Diff/{self.revid}" if self.revid else self.title


class WikiApi:
    """One client per process (see `for_config`): it holds the HTTP session and the user cache."""

    def __init__(self, config: Config, session: requests.Session | None = None,
                 cache_seconds: float = CACHE_SECONDS) -> None:
        self.config = config
        self.http = session or requests.Session()
        self.http.headers["User-Agent"] = config.user_agent
        self._users: TTLCache[tuple[str, str], UserInfo] = TTLCache(CACHE_SIZE, cache_seconds)
        self._lock = threading.Lock()

    # -- users -----------------------------------------------------------------------------------

    def users(self, wiki: str | Wiki, names: Iterable[str]) -> dict[str, UserInfo]:
        """Each name (in canonical form) → what the wiki knows of it, 50 names per request."""
        site = self._wiki(wiki)
        wanted = list(dict.fromkeys(canonical_username(n) for n in names if canonical_username(n)))
        found: dict[str, UserInfo] = {}
        ask: list[str] = []
        for name in wanted:
            if not possible_title(name):
                found[name] = UserInfo(name, exists=False, invalid=True)
                continue
            with self._lock:
                cached = self._users.get((site.id, name))
            if cached is not None:
                found[name] = cached
            else:
                ask.append(name)
        for start in range(0, len(ask), USERS_PER_REQUEST):
            batch = ask[start:start + USERS_PER_REQUEST]
            data = self._call(site, "kudos-error-wiki-unreachable-users", {
                "action": "query", "list": "users", "ususers": "|".join(batch),
                "usprop": "blockinfo|editcount|centralids|registration",
            }, post=sum(len(n) for n in batch) > 1500)
            answered = {canonical_username(u.get("name", "")): u for u in data.get("query", {}).get("users", [])}
            for name in batch:
                info = _user_info(name, answered.get(name))
                found[name] = info
                with self._lock:
                    self._users[(site.id, name)] = info
        return found

    def user(self, wiki: str | Wiki, name: str) -> UserInfo:
        name = canonical_username(name)
        return self.users(wiki, [name]).get(name) or UserInfo(name, exists=False, invalid=True)

    # -- pages and revisions -----------------------------------------------------------------------

    def page_exists(self, wiki: str | Wiki, title: str) -> bool:
        site = self._wiki(wiki)
        title = title.strip()
        if not possible_title(title):
            return False
        page = self._page(site, {"titles": title})
        return page is not None and not page.get("missing") and not page.get("invalid")

    def resolve_link(self, wiki: str | Wiki, link: str) -> Link:
        """A page title, or a page/diff/permalink/oldid URL on this wiki → an existing page or revision.

        Raises DomainError with a sentence for a link to another site, a missing page or revision,
        or a special page.
        """
        site = self._wiki(wiki)
        title, revid = parse_link(site, link)
        if revid is not None:
            data = self._call(site, "kudos-error-wiki-unreachable-link", {"action": "query", "revids": str(revid),
                                                                "prop": "info"})
            pages = data.get("query", {}).get("pages", [])
            if data.get("query", {}).get("badrevids") or not pages:
                raise DomainError("kudos-error-no-revision", revid, site.name)
            return Link(title=str(pages[0].get("title", "")), revid=revid)
        assert title is not None
        if not possible_title(title):
            raise DomainError("kudos-error-bad-title", _short(title), site.name)
        page = self._page(site, {"titles": title})
        if page is None or page.get("invalid"):
            raise DomainError("kudos-error-bad-title", _short(title), site.name)
        if page.get("special") or int(page.get("ns", 0)) < 0:
            raise DomainError("kudos-error-special-page")
        if page.get("missing"):
            raise DomainError("kudos-error-no-page", _short(page.get("title") or title), site.name)
        return Link(title=str(page["title"]))

    def _page(self, site: Wiki, selector: dict[str, str]) -> dict[str, Any] | None:
        data = self._call(site, "kudos-error-wiki-unreachable-link", {"action": "query", "prop": "info", **selector})
        query = data.get("query", {})
        if query.get("interwiki"):
            return {"invalid": True}
        pages = query.get("pages", [])
        return pages[0] if pages else None

    # -- rendering -------------------------------------------------------------------------------

    def parse(self, wiki: str | Wiki, wikitext: str, title: str) -> str:
        """The HTML the wiki's parser makes of `wikitext` on page `title` (not sanitized: see kudos.preview)."""
        site = self._wiki(wiki)
        data = self._call(site, "kudos-error-wiki-unreachable-preview", {
            "action": "parse", "text": wikitext, "title": title, "contentmodel": "wikitext", "prop": "text",
            "pst": "1", "disablelimitreport": "1", "disableeditsection": "1",
        }, post=True)
        return str(data.get("parse", {}).get("text", ""))

    # -- plumbing --------------------------------------------------------------------------------

    def _wiki(self, wiki: str | Wiki) -> Wiki:
        return wiki if isinstance(wiki, Wiki) else self.config.wiki(wiki)

    def _call(self, site: Wiki, what: str, params: Mapping[str, str], post: bool = False) -> dict[str, Any]:
        """`what`: the message key that says what could not be checked if the wiki does not answer."""
        full = {**params, "format": "json", "formatversion": "2", "maxlag": str(MAXLAG), "errorformat": "plaintext"}
        unavailable = WikiUnavailable(what, site.name)
        for attempt in range(2):
            try:
                if post:
                    response = self.http.post(site.api_url, data=full, timeout=TIMEOUT)
                else:
                    response = self.http.get(site.api_url, params=full, timeout=TIMEOUT)
            except requests.RequestException:
                raise unavailable from None
            lagged = response.headers.get("X-Database-Lag") is not None or response.status_code == 503
            if response.status_code >= 500 and not lagged:
                raise unavailable
            try:
                data: dict[str, Any] = response.json()
            except ValueError:
                raise unavailable from None
            codes = {e.get("code") for e in data.get("errors", []) if isinstance(e, dict)}
            if "maxlag" in codes or (lagged and response.status_code >= 500):
                if attempt == 0:
                    # Replicas are behind; the API asks us to back off. One short wait, then give up politely.
                    time.sleep(min(float(response.headers.get("Retry-After", "1") or 1), 2.0))
                    continue
                raise unavailable
            if codes:
                raise unavailable
            return data
        raise unavailable


def _user_info(name: str, answer: dict[str, Any] | None) -> UserInfo:
    if answer is None or answer.get("invalid"):
        return UserInfo(name, exists=False, invalid=True)
    if answer.get("missing"):
        return UserInfo(str(answer.get("name", name)), exists=False)
    blocked = "blockid" in answer and not answer.get("blockpartial")
    central = answer.get("centralids", {}).get("CentralAuth") if isinstance(answer.get("centralids"), dict) else None
    return UserInfo(
        name=str(answer.get("name", name)), exists=True, blocked=blocked,
        editcount=int(answer.get("editcount") or 0),
        central_id=int(central) if isinstance(central, int) and central > 0 else None,
        user_id=_positive(answer.get("userid")),
        registered=_timestamp(answer.get("registration")),
    )


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ") if isinstance(value, str) else None
    except ValueError:
        return None


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def parse_link(site: Wiki, link: str) -> tuple[str | None, int | None]:
    """(title, None) or (None, revid) from what a person pasted; DomainError for another site's URL."""
    text = link.strip()
    if text.startswith("[[") and text.endswith("]]"):
        text = text[2:-2].split("|", 1)[0].strip()
    if not text:
        raise DomainError("kudos-error-link-empty")
    if re.match(r"^(https?:)?//", text, re.IGNORECASE):
        return _parse_url(site, text)
    found = REVISION_PATH.match(text.replace(" ", "_"))
    if found:
        return None, int(found.group(2) or found.group(1))
    return text.replace("_", " "), None


def _parse_url(site: Wiki, url: str) -> tuple[str | None, int | None]:
    try:
        parts = urlsplit(url if not url.startswith("//") else "https:" + url)
    except ValueError:  # an unclosed "[" of an IPv6 address
        raise DomainError("kudos-error-link-unreadable", _short(url), site.name) from None
    wiki_host = urlsplit(site.api_url).netloc.lower()
    if parts.netloc.lower() != wiki_host:
        raise DomainError("kudos-error-link-other-site", _short(parts.netloc or "another site", 80), site.name)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    for key in ("diff", "oldid"):
        value = query.get(key, "")
        if value.isdigit():
            return None, int(value)
    if query.get("diff") in ("prev", "next", "cur") and query.get("oldid", "").isdigit():
        return None, int(query["oldid"])
    title = query.get("title")
    if not title:
        path = unquote(parts.path)
        for prefix in ("/wiki/", "/index.php/", "/w/index.php/"):
            if path.startswith(prefix):
                title = path[len(prefix):]
                break
    if not title:
        raise DomainError("kudos-error-link-no-page", site.name)
    found = REVISION_PATH.match(title.replace(" ", "_"))
    if found:
        return None, int(found.group(2) or found.group(1))
    return title.replace("_", " "), None


def possible_title(title: str) -> bool:
    return bool(title.strip()) and len(title.encode("utf-8")) <= _TITLE_BYTES and not _ILLEGAL_TITLE.search(title)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
