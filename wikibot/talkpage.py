"""The talk-page channel: barnstars posted as new sections with pywikibot, one write each (DESIGN §2, §4).

A batch of up to 50 deliveries to one wiki costs one read (all talk pages with their content, content
model, redirects and the opt-out category, plus every recipient's existence and blocks, in a single
`action=query`) and then one `action=edit` per barnstar. A delivery that may have landed before (a
retry, or a lease taken over from a job that died) is first looked for by its marker.

Recipients are also known by their account id on the wiki (kudos.accounts). When a stored name no longer
exists, or now belongs to another account, the batch costs two more reads: the current names by id, then
the new talk pages. The runner then moves the Person to the new name.

No answer of the wiki raises out of `deliver`: a failed read or a refusal of the whole wiki (read-only,
maxlag, unreachable, 5xx, an answer that is not JSON) becomes a `RetryLater` whose `pause` names the kind,
and nothing is posted after a read failed. Only a refusal aimed at one page (protected, abuse filter …)
is that delivery's own failure.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from kudos.barnstar import Barnstar, marker
from kudos.channels import DeliveryOutcome, Permanent, Posted, RetryLater, Skip, Uncertain
from kudos.config import Wiki
from kudos.names import canonical_username
from wikibot.events import describe
from wikibot.exclusion import OPT_OUT_CATEGORY, exclusion_reason

log = logging.getLogger("wikibot.talkpage")
USER_TALK = 3
FLOW_BOARD = "flow-board"
# What pywikibot's own userinfo request asks for, so the answer can stand in for it.
USERINFO_PROPS = ["blockinfo", "groups", "hasmsg", "ratelimits", "rights"]
ANONYMOUS_TOKEN = "+\\"  # noqa: S105 - what the API hands a session that is not logged in
HISTORY_DEPTH = 20  # how many of the bot's latest revisions of a page `find` looks through
# API error codes that say the bot's session or account, not the page, is the trouble: the wiki's lane waits.
LOGIN_CODES = frozenset({"badtoken", "notloggedin", "assertuserfailed", "assertbotfailed", "assertnameduserfailed",
                         "mwoauth-invalid-authorization", "mwoauth-invalid-authorization-invalid-user"})
REFUSED_CODES = frozenset({"blocked", "autoblocked", "permissiondenied", "writeapidenied", "readapidenied",
                           "globalblocking-blockedtext"})
# pywikibot keeps one Site per wiki and one cookie file for all: connect them one at a time.
_CONNECTING = threading.Lock()


@dataclass(frozen=True)
class TalkDelivery:
    id: int
    key: str
    recipient: str
    barnstar: Barnstar
    retried: bool  # an earlier attempt may have landed: look for the marker before posting
    user_id: int | None = None  # the recipient's account id on this wiki, when Kudos has it


@dataclass
class Survey:
    """What one batched read says about the recipients and their talk pages."""

    readonly: str | None = None
    titles: dict[str, str] = field(default_factory=dict)  # requested title → title after normalization/redirect
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # final title → page info
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # user name → list=users entry
    renamed: dict[str, str] = field(default_factory=dict)  # stored name → the account's name now


def talk_title(user: str) -> str:
    return f"User talk:{canonical_username(user)}"


def _user_of(title: str) -> str:
    # "User talk:Robert/Archive 1" → "Robert"; the namespace prefix may be localised.
    return title.split(":", 1)[-1].split("/", 1)[0]


@dataclass(frozen=True)
class Answer:
    """The HTTP side of the wiki's last answer, which pywikibot's exceptions leave out."""

    status: int
    reason: str
    retry_after: float | None
    api_error: str | None
    lag: str | None
    action: str  # of the request answered (edit, query, login …)

    @classmethod
    def of(cls, response: Any) -> Answer:
        headers = response.headers
        try:
            retry_after: float | None = float(headers.get("Retry-After", ""))
        except ValueError:
            retry_after = None  # an HTTP date, or absent: our own backoff decides
        return cls(int(response.status_code), str(response.reason or ""), retry_after,
                   headers.get("MediaWiki-API-Error"), headers.get("X-Database-Lag"), _action(response.request))


class TalkPageChannel:
    def __init__(self, wiki: Wiki, site: Any) -> None:
        self.wiki = wiki
        self.site = site
        self.bot_user: str = site.username() or ""
        # The latest answer from this wiki (see _watch); each lane is the only thread that talks to its wiki.
        self.answer: Answer | None = None

    @classmethod
    def connect(cls, wiki: Wiki) -> TalkPageChannel:
        """The wiki's channel, logged in. Raises RetryLater (with `pause`) when the wiki or the login fails."""
        from wikibot.pwbconfig import site_for

        # pywikibot's Site() already tries the session cookie it saved in PYWIKIBOT_DIR on an earlier run, and
        # login() then returns without a request; without a valid cookie it logs in here, before the first
        # survey, so that the survey's answer carries the logged-in session's edit token (see _adopt_session).
        with _CONNECTING:
            site = site_for(wiki)
            channel = cls(wiki, site)
            _watch(channel)
            try:
                site.login()
                logged_in = site.logged_in()
            except Exception as error:  # noqa: BLE001 - every failure of the wiki means "try again later"
                raise channel._failure(error, f"Cannot connect to {wiki.id}") from None
        if not logged_in:
            raise RetryLater(f"Cannot log in to {wiki.id} as {site.username()}; check bot.username and the bot "
                             "password.", pause="login")
        return channel

    # --- reading ----------------------------------------------------------------------------------

    def _query(self, **params: Any) -> dict[str, Any]:
        params.setdefault("action", "query")
        params.setdefault("formatversion", 2)
        self.answer = None
        result: dict[str, Any] = self.site.simple_request(**params).submit()
        return result

    def survey(self, recipients: Sequence[str], known_ids: Mapping[str, int] | None = None) -> Survey:
        """One request (more only if the content overflows the API's result size) for the whole batch.

        Recipients whose stored name no longer belongs to the account id Kudos recorded (`known_ids`)
        were renamed: see `_follow_renames`, which costs reads only in a batch that has such a recipient.
        """
        titles = sorted({talk_title(r) for r in recipients})
        names = sorted({canonical_username(r) for r in recipients})
        survey = Survey()
        self._read_pages(survey, titles, list="users", ususers=names, usprop=["blockinfo", "centralids"],
                         meta=["siteinfo", "userinfo", "tokens"], siprop="general", uiprop=USERINFO_PROPS,
                         type="csrf")
        if known_ids:
            self._follow_renames(survey, known_ids)
        return survey

    def _read_pages(self, survey: Survey, titles: Sequence[str], **more: Any) -> None:
        """Talk pages with content, content model, redirects and the opt-out category, plus `more`."""
        params: dict[str, Any] = dict(
            titles=list(titles), redirects=1, prop=["info", "revisions", "categories"],
            rvprop=["ids", "content"], rvslots="main", clcategories=f"Category:{OPT_OUT_CATEGORY}", **more)
        for page in range(20):
            result = self._query(**params)
            if page == 0 and "userinfo" in params.get("meta", ()):
                self._adopt_session(result.get("query", {}))
            self._absorb(survey, result)
            further = result.get("continue")
            if not further:
                break
            params.update(further)
        for title in titles:
            survey.titles.setdefault(title, title)

    def _follow_renames(self, survey: Survey, known_ids: Mapping[str, int]) -> None:
        """Find renamed recipients by account id and read their new talk pages.

        Only when the batch has a recipient whose stored name is gone or now belongs to another
        account: one `list=users&ususerids=` request for all of them (50 ids fit one request, the size
        of a batch), then one read of their new talk pages, batched like the survey. `list=users` takes
        names or ids but not both, and the new titles are known only from its answer, hence two reads.
        A local id survives a rename, a global rename on a CentralAuth wiki included, so this needs no
        `meta=globaluserinfo` (which takes one id a request).
        """
        gone = {name: user_id for name, user_id in known_ids.items()
                if _account_changed(survey.users.get(canonical_username(name)), user_id)}
        if not gone:
            return
        result = self._query(list="users", ususerids=sorted(set(gone.values())), usprop=["blockinfo", "centralids"])
        by_id = {int(u["userid"]): u for u in result.get("query", {}).get("users", [])
                 if u.get("userid") and not u.get("missing")}
        for name, user_id in gone.items():
            current = by_id.get(user_id)
            if current is None:
                continue  # the account is gone (or hidden): the recipient is skipped as missing
            survey.renamed[canonical_username(name)] = str(current["name"])
            survey.users[str(current["name"])] = current
        if survey.renamed:
            self._read_pages(survey, sorted({talk_title(n) for n in survey.renamed.values()}))

    def _adopt_session(self, query: dict[str, Any]) -> None:
        """Take the edit token from the survey's answer, so pywikibot need not ask for it again.

        `connect` has logged in already; the token is taken only when the answer says it belongs to
        the bot's session and pywikibot holds none for that session yet. Its wallet may still hold the
        tokens it fetched before logging in (it notices the change of user only at its next look-up, and then
        asks the wiki): without taking the token here, the first edit of every process would wait for that
        extra request after its edit slot was granted, and reach the wiki late.
        """
        site = self.site
        info = query.get("userinfo") or {}
        token = (query.get("tokens") or {}).get("csrftoken")
        wallet = site.tokens
        user = site.user()
        if not token or token == ANONYMOUS_TOKEN or info.get("name") != user:
            return
        if wallet._currentuser != user:
            wallet._currentuser = user
            wallet._tokens = {"csrf": token}
        elif "csrf" not in wallet._tokens:
            wallet._tokens["csrf"] = token

    def _absorb(self, survey: Survey, result: dict[str, Any]) -> None:
        query = result.get("query", {})
        general = query.get("general", {})
        if general.get("readonly"):
            survey.readonly = general.get("readonlyreason") or "the wiki is read-only"
        steps = {n["from"]: n["to"] for n in query.get("normalized", [])}
        steps.update({r["from"]: r["to"] for r in query.get("redirects", [])})
        for title in list(steps):
            final, seen = title, set()
            while final in steps and final not in seen:
                seen.add(final)
                final = steps[final]
            survey.titles[title] = final
        for page in query.get("pages", []):
            known = survey.pages.setdefault(page["title"], page)
            if known is not page and page.get("revisions"):
                known["revisions"] = page["revisions"]
        for user in query.get("users", []):
            survey.users[user.get("name", "")] = user

    def _users(self, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        result = self._query(list="users", ususers=list(names), usprop=["blockinfo", "centralids"])
        return {u.get("name", ""): u for u in result.get("query", {}).get("users", [])}

    def find(self, title: str, key: str) -> tuple[int, str] | None:
        """The revision of `title` among the bot's latest that added the marker `key`, if any."""
        result = self._query(titles=title, prop="revisions", rvprop=["ids", "content"], rvslots="main",
                             rvlimit=HISTORY_DEPTH, rvuser=self.bot_user)
        pages = result.get("query", {}).get("pages", [])
        found = None
        for revision in (pages[0].get("revisions", []) if pages else []):  # newest first
            if marker(key) in revision.get("slots", {}).get("main", {}).get("content", ""):
                found = int(revision["revid"])
        return (found, self.diff_url(found, title)) if found else None

    def diff_url(self, revid: int, title: str) -> str:
        """The edit's diff; the title in it tells people (and the deliveries page) which page it is on."""
        return f"{self.wiki.index_url}?{urlencode({'title': title.replace(' ', '_'), 'diff': revid})}"

    # --- deciding and posting ---------------------------------------------------------------------

    def deliver(self, items: Sequence[TalkDelivery], should_stop: Callable[[], bool] = lambda: False,
                on_rename: Callable[[dict[str, str]], None] | None = None, pace: Callable[[], bool] = lambda: True,
                ) -> Iterator[tuple[int, Posted | DeliveryOutcome]]:
        """Outcomes in order; stops early (leaving the rest unreported) when `should_stop()` says so.

        `on_rename({stored name: current name})` hears of renamed recipients before anything is posted.
        `pace()` is asked right before each edit: it waits for the wiki's next edit slot, and False (the lane
        was lost, or the job is stopping) stops the batch there, that edit unsent and unreported.
        """
        known = {canonical_username(i.recipient): i.user_id for i in items if i.user_id}
        try:
            survey = self.survey([item.recipient for item in items], known)
        except Exception as error:  # noqa: BLE001 - a failed read changes nothing: try the batch later
            failure = self._failure(error, "Reading the talk pages")
            for item in items:
                yield item.id, failure
            return
        if survey.renamed and on_rename is not None:
            on_rename(dict(survey.renamed))
        if survey.readonly:
            for item in items:
                yield item.id, RetryLater(f"The wiki is read-only: {survey.readonly}", pause="readonly")
            return
        wiki_wide: RetryLater | None = None
        for item in items:
            if should_stop():
                return
            if wiki_wide is not None:
                # The wiki itself is unavailable: the rest of the batch waits without another request.
                yield item.id, wiki_wide
                continue
            outcome = self._deliver_one(item, survey, pace)
            if outcome is None:
                return
            if isinstance(outcome, RetryLater) and outcome.pause:
                # The rest certainly did not land, whatever happened to this one.
                wiki_wide = RetryLater(outcome.reason, outcome.after, pause=outcome.pause)
            yield item.id, outcome

    def _deliver_one(self, item: TalkDelivery, survey: Survey, pace: Callable[[], bool]
                     ) -> Posted | DeliveryOutcome | None:
        try:
            return self._decide_and_post(item, survey, pace)
        except DeliveryOutcome as outcome:
            return outcome
        except _Unpaced:
            return None

    def _decide_and_post(self, item: TalkDelivery, survey: Survey, pace: Callable[[], bool]
                         ) -> Posted | DeliveryOutcome:
        recipient = canonical_username(item.recipient)
        requested = talk_title(survey.renamed.get(recipient, recipient))
        title = survey.titles.get(requested, requested)
        page = survey.pages.get(title, {})
        if title != requested and page.get("ns", USER_TALK) != USER_TALK:
            return Skip(f"{requested} redirects to {title}, which is not a user talk page.")
        user_name = _user_of(title)
        user = survey.users.get(user_name)
        if user is None:
            try:
                survey.users.update(self._users([user_name]))  # a redirect after a rename: one more read
            except Exception as error:  # noqa: BLE001 - a failed read: try again later
                return self._failure(error, f"Reading the account {user_name}")
            user = survey.users.get(user_name, {"missing": True})
        if user.get("missing") or user.get("invalid"):
            return Skip(f"The user {user_name} does not exist on this wiki.")
        if user.get("blockid") and not user.get("blockpartial"):
            return Skip(f"The user {user_name} is blocked.")
        if page.get("contentmodel") == FLOW_BOARD:
            return Skip(f"{title} is a Structured Discussions board; Kudos cannot post there.")
        if page.get("categories"):
            return Skip(f"{title} is in Category:{OPT_OUT_CATEGORY}.")
        revisions = page.get("revisions") or [{}]
        content = revisions[0].get("slots", {}).get("main", {}).get("content", "")
        if item.retried or marker(item.key) in content:
            try:
                found = self.find(title, item.key)
            except Exception as error:  # noqa: BLE001 - never post without knowing whether it landed
                return self._failure(error, f"Looking for an earlier attempt on {title}")
            if found:
                return Posted(str(found[0]), found[1])
            if marker(item.key) in content:
                return Posted(str(page.get("lastrevid", "")), self.diff_url(int(page.get("lastrevid", 0)), title))
        reason = exclusion_reason(content, self.bot_user)
        if reason:
            return Skip(reason)
        if not pace():
            raise _Unpaced
        return self._post(title, item.barnstar)

    def _post(self, title: str, barnstar: Barnstar) -> Posted:
        import pywikibot
        from pywikibot import exceptions as pwe

        page = pywikibot.Page(self.site, title)
        self.answer = None
        try:
            try:
                saved = self.site.editpage(page, text=barnstar.text, section="new", sectiontitle=barnstar.title,
                                           summary=barnstar.summary, minor=False, notminor=True, bot=True)
            finally:
                if self.answer is not None and self.answer.action != "edit":
                    self.answer = None  # it answered a read pywikibot made first, not the edit
            if not saved:
                raise Permanent("The wiki did not save the edit (pywikibot reported a failure; see its log).")
            revid = int(page.latest_revision_id)
        except DeliveryOutcome:
            raise
        except pwe.EditConflictError as error:
            raise RetryLater(f"Edit conflict: {error}") from None
        except pwe.MaxlagTimeoutError:
            lag = f" ({self.answer.lag} s)" if self.answer and self.answer.lag else ""
            raise RetryLater(f"The wiki's replication lag is above maxlag{lag}.", self._retry_after(),
                             pause="lagged") from None
        except pwe.APIError as error:
            kind = _kind_of_code(error.code)
            if kind is None:
                raise Permanent(f"The wiki refused the edit: {error.code}: {error.info}") from None
            raise RetryLater(_refused_for_now(error.code, error.info), self._retry_after(), pause=kind) from None
        except (pwe.LockedPageError, pwe.AbuseFilterDisallowedError, pwe.SpamblacklistError,
                pwe.TitleblacklistError, pwe.NoCreateError, pwe.PageSaveRelatedError) as error:
            raise Permanent(f"The wiki refused the edit: {describe(error)}") from None
        except pwe.UserRightsError as error:
            # pywikibot's own check before sending: the session lost the bot's rights.
            raise RetryLater(f"The bot may not edit now: {describe(error)}", pause="login") from None
        except Exception as error:  # noqa: BLE001 - whatever else went wrong, the edit may have landed
            refused = self.answer.api_error if self.answer else None
            if refused:
                # The wiki answered with an API error (pywikibot turned it into another exception): not saved.
                kind = _kind_of_code(refused)
                if kind is None:
                    raise Permanent(f"The wiki refused the edit: {refused}: {describe(error)}") from None
                raise RetryLater(_refused_for_now(refused), self._retry_after(), pause=kind) from None
            raise Uncertain(self._no_answer(error), self._retry_after(), pause=self._kind_of(error)) from None
        return Posted(str(revid), self.diff_url(revid, title))

    def _no_answer(self, error: BaseException) -> str:
        """Why an edit may or may not have landed, in words an organizer can act on."""
        answer = self.answer
        if answer is not None and answer.status >= 500:
            return f"The wiki answered HTTP {answer.status} {answer.reason}; the edit may or may not be saved."
        if answer is not None:
            return f"The wiki's answer could not be read (the edit may have been saved): {describe(error)}"
        return f"No answer from the wiki (the edit may have been saved): {describe(error)}"

    def _retry_after(self) -> float | None:
        return self.answer.retry_after if self.answer else None

    def _failure(self, error: BaseException, doing: str) -> RetryLater:
        """A failed read or login as a pause of the whole wiki; nothing was posted."""
        answer = self.answer
        if answer is not None and answer.status >= 500:
            why = f"the wiki answered HTTP {answer.status} {answer.reason}"
        else:
            why = describe(error)
        return RetryLater(f"{doing}: {why}"[:500], self._retry_after(), pause=self._kind_of(error))

    def _kind_of(self, error: BaseException) -> str:
        """Which PAUSE_KINDS a failure of the wiki is, from the error and the wiki's last answer."""
        from pywikibot import exceptions as pwe

        answer = self.answer
        code = getattr(error, "code", None) or (answer.api_error if answer else None)
        kind = _kind_of_code(code) if isinstance(code, str) else None
        if kind:
            return kind
        if isinstance(error, pwe.MaxlagTimeoutError):
            return "lagged"
        if isinstance(error, pwe.NoUsernameError):
            return "login"
        if answer is None:
            return "unreachable"  # no answer at all: refused, reset or timed out
        return "failing"  # an answer, but a 5xx, an API error or not JSON


class _Unpaced(Exception):  # noqa: N818 - control flow inside deliver
    """`pace()` said not to post (the lane was lost, or the job is stopping)."""


_watched: dict[str, TalkPageChannel] = {}  # the wiki's URL up to api.php → its latest channel
_hooked = threading.Lock()


def _watch(channel: TalkPageChannel) -> None:
    """Keep each wiki's latest answer on its channel.

    pywikibot turns a 5xx or a lost answer into a bare "Maximum retries attempted" error, and a maxlag error
    into one without the wait the wiki asked for; one response hook on pywikibot's shared HTTP session keeps
    both, handing each answer to the channel of the wiki it came from.
    """
    from pywikibot.comms import http

    with _hooked:
        if not _watched:
            http.session.hooks["response"].append(_remember)
        _watched[channel.wiki.api_url.rsplit("/", 1)[0] + "/"] = channel


def _remember(response: Any, *_args: Any, **_kwargs: Any) -> Any:
    url = str(getattr(response, "url", ""))
    for prefix, channel in list(_watched.items()):
        if url.startswith(prefix):
            channel.answer = Answer.of(response)
            break
    return response


def _refused_for_now(code: str, info: str = "") -> str:
    if code == "readonly":
        return f"The wiki is read-only: {info}" if info else "The wiki is read-only for now."
    return f"The wiki refused the edit for now ({code})."


def _action(request: Any) -> str:
    """The `action` of an API request, from its query string or its form body."""
    params = parse_qs(urlsplit(str(getattr(request, "url", "") or "")).query)
    body = getattr(request, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        params.update(parse_qs(body))
    return params.get("action", [""])[0]


def _kind_of_code(code: str | None) -> str | None:
    """The pause kind for an API error code that concerns the whole wiki; None for a page's own refusal."""
    if code is None:
        return None
    if code == "readonly":
        return "readonly"
    if code == "maxlag":
        return "lagged"
    if code in LOGIN_CODES:
        return "login"
    if code in REFUSED_CODES:
        return "refused"
    if code == "ratelimited" or code.startswith("internal_api_error"):
        return "failing"
    return None


def _account_changed(user: dict[str, Any] | None, user_id: int) -> bool:
    """The stored name no longer exists, or belongs to another account than the one nominated."""
    if user is None or user.get("missing") or user.get("invalid"):
        return True
    return bool(user.get("userid")) and int(user["userid"]) != user_id
