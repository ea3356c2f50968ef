"""What a wiki says about the people who might be suggested, read in batches.

One request per 50 people: `list=usercontribs|users` in a single query, so the window's contributions and
each account's block, edit count and registration come together (only `usercontribs` ever continues;
the API marks `users` as done in the continuation). Newcomers come from `list=logevents&letype=newusers`,
newest first, one request per 500. GrowthExperiments' public user-impact endpoint, where a wiki has it, adds
the thanks a person received and their longest editing streak, one request each; any failure there is
ignored.

Never suggested, so never returned as someone who exists: hidden accounts (the API reports them missing
to us, or marks them hidden), temporary accounts, and newcomers whose sign-up log entry is hidden.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from kudos.config import Config
from kudos.contribs import BATCH, ApiError, ContribsClient
from kudos.names import canonical_username
from kudos.wikiapi import possible_title

log = logging.getLogger(__name__)

UCLIMIT = "max"  # tests lower it to exercise continuation
CONTRIB_PROPS = "ids|title|timestamp|comment|sizediff|flags|tags"
REVERTED_TAG = "mw-reverted"
# Temporary accounts are named by the wiki's pattern; Wikimedia's (and MediaWiki's default) start with "~", a digit.
_TEMPORARY = re.compile(r"^~\d")
# Where the sign-up log names the new account: its performer, unless someone else created it.
_CREATED_BY_OTHERS = ("create2", "byemail")


@dataclass(frozen=True)
class Edit:
    revid: int
    title: str
    ns: int
    timestamp: datetime
    sizediff: int
    comment: str
    new: bool
    reverted: bool
    viewable: bool  # its text and summary are public (not revision-deleted)


@dataclass
class Account:
    name: str  # canonical
    exists: bool = False
    user_id: int | None = None
    blocked: bool = False
    hidden: bool = False  # a hidden or temporary account: never suggested
    editcount: int = 0
    registered: datetime | None = None
    edits: list[Edit] = field(default_factory=list)

    @property
    def suggestible(self) -> bool:
        return self.exists and not self.hidden and self.user_id is not None


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def temporary(name: str) -> bool:
    return bool(_TEMPORARY.match(name))


def askable(name: str) -> bool:
    """A name the API can be asked about without refusing the whole batch."""
    return possible_title(name) and ":" not in name and not temporary(name)


class SuggestClient(ContribsClient):
    """The wiki reads of a refresh; counts requests (`requests`, `continuations`, `impact_requests`)."""

    def __init__(self, config: Config, http: requests.Session | None = None, timeout: float = 60) -> None:
        super().__init__(config, http, timeout)
        self.continuations = 0
        self.impact_requests = 0

    def activity(self, wiki: str, names: list[str], start: datetime, end: datetime) -> dict[str, Account]:
        """Each name → its account and its contributions in [start, end], 50 names a request."""
        found: dict[str, Account] = {}
        for batch in _batches([n for n in dict.fromkeys(names) if askable(n)]):
            found.update(self._activity_batch(wiki, batch, start, end))
        return found

    def _activity_batch(self, wiki: str, names: list[str], start: datetime, end: datetime) -> dict[str, Account]:
        try:
            return self._ask(wiki, names, start, end)
        except ApiError as error:
            if not error.code.startswith("baduser"):
                raise
            if len(names) == 1:
                log.warning("the wiki %s refuses the user name %r", wiki, names[0])
                return {}
        # A name the wiki refuses would sink the whole batch: halve it until the culprit stands alone.
        middle = len(names) // 2
        return {**self._activity_batch(wiki, names[:middle], start, end),
                **self._activity_batch(wiki, names[middle:], start, end)}

    def _ask(self, wiki: str, names: list[str], start: datetime, end: datetime) -> dict[str, Account]:
        joined = "|".join(names)
        params = {
            "action": "query", "list": "usercontribs|users", "format": "json", "formatversion": "2",
            "maxlag": "5", "ucuser": joined, "uclimit": UCLIMIT, "ucprop": CONTRIB_PROPS,
            "ucstart": iso(end), "ucend": iso(start), "ususers": joined,
            "usprop": "blockinfo|editcount|registration",
        }
        accounts = {name: Account(name) for name in names}
        api_url = self.config.wiki(wiki).api_url
        while True:
            data = self._get(api_url, params)
            query = data.get("query", {})
            for answer in query.get("users", []):
                _account_from(accounts, answer)
            for contrib in query.get("usercontribs", []):
                account = accounts.get(canonical_username(str(contrib.get("user", ""))))
                edit = _edit_from(contrib)
                if account is not None and edit is not None:
                    account.edits.append(edit)
            if "continue" not in data:
                return accounts
            self.continuations += 1
            params = {**params, **{key: str(value) for key, value in data["continue"].items()}}

    def newcomers(self, wiki: str, since: datetime, now: datetime, limit: int) -> dict[str, datetime]:
        """Accounts registered on the wiki in [since, now], newest first, at most `limit` → when."""
        found: dict[str, datetime] = {}
        if limit <= 0:
            return found
        params = {
            "action": "query", "list": "logevents", "letype": "newusers", "format": "json",
            "formatversion": "2", "maxlag": "5", "leprop": "title|user|timestamp|type|details",
            "lestart": iso(now), "leend": iso(since), "lelimit": str(min(limit, 500)),
        }
        api_url = self.config.wiki(wiki).api_url
        while True:
            data = self._get(api_url, params)
            for entry in data.get("query", {}).get("logevents", []):
                name, when = _newcomer_from(entry)
                if name and when and len(found) < limit:
                    found.setdefault(name, when)
            if "continue" not in data or len(found) >= limit:
                return found
            self.continuations += 1
            params = {**params, **{key: str(value) for key, value in data["continue"].items()}}

    def impact(self, wiki: str, user_id: int) -> tuple[int | None, int | None]:
        """(thanks received, longest editing streak in days) from GrowthExperiments, or (None, None)."""
        rest = self.config.wiki(wiki).api_url.rsplit("/", 1)[0] + "/rest.php"
        url = f"{rest}/growthexperiments/v0/user-impact/{quote('#' + str(user_id), safe='')}"
        self.impact_requests += 1
        try:
            response = self.http.get(url, timeout=self.timeout)
            data = response.json() if response.status_code == 200 else {}
        except (requests.RequestException, ValueError):
            return None, None
        if not isinstance(data, dict):
            return None, None
        thanks = data.get("receivedThanksCount")
        streak = data.get("longestEditingStreak")
        days = streak.get("datePeriod", {}).get("days") if isinstance(streak, dict) else None
        return (thanks if isinstance(thanks, int) and not isinstance(thanks, bool) and thanks >= 0 else None,
                days if isinstance(days, int) and not isinstance(days, bool) and days >= 0 else None)


def _batches(names: list[str]) -> Iterator[list[str]]:
    for index in range(0, len(names), BATCH):
        yield names[index:index + BATCH]


def _account_from(accounts: dict[str, Account], answer: dict[str, Any]) -> None:
    account = accounts.get(canonical_username(str(answer.get("name", ""))))
    if account is None or answer.get("missing") or answer.get("invalid"):
        return
    user_id = answer.get("userid")
    account.exists = isinstance(user_id, int) and not isinstance(user_id, bool) and user_id > 0
    account.user_id = user_id if account.exists else None
    account.hidden = bool(answer.get("hidden") or answer.get("blockhidden") or answer.get("temp")
                          or temporary(account.name))
    account.blocked = "blockid" in answer and not answer.get("blockpartial")
    editcount = answer.get("editcount")
    account.editcount = editcount if isinstance(editcount, int) and not isinstance(editcount, bool) else 0
    account.registered = parse_time(answer.get("registration"))


def _edit_from(contrib: dict[str, Any]) -> Edit | None:
    revid, when = contrib.get("revid"), parse_time(contrib.get("timestamp"))
    if not isinstance(revid, int) or when is None:
        return None
    sizediff = contrib.get("sizediff")
    tags = contrib.get("tags")
    tags = tags if isinstance(tags, list) else []
    hidden = any(contrib.get(flag) for flag in ("texthidden", "commenthidden", "suppressed"))
    return Edit(revid=revid, title=str(contrib.get("title", "")), ns=int(contrib.get("ns") or 0), timestamp=when,
                sizediff=sizediff if isinstance(sizediff, int) and not isinstance(sizediff, bool) else 0,
                comment="" if hidden else str(contrib.get("comment", ""))[:500], new=bool(contrib.get("new")),
                reverted=REVERTED_TAG in tags, viewable=not hidden)


def _newcomer_from(entry: dict[str, Any]) -> tuple[str | None, datetime | None]:
    if any(entry.get(flag) for flag in ("userhidden", "actionhidden", "suppressed")) or entry.get("temp"):
        return None, None
    if entry.get("action") in _CREATED_BY_OTHERS:
        title = str(entry.get("title", ""))
        raw = title.split(":", 1)[1] if ":" in title else ""
    else:
        raw = str(entry.get("user", ""))
    name = canonical_username(raw)
    if not name or temporary(name):
        return None, None
    return name, parse_time(entry.get("timestamp"))
