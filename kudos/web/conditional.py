"""Conditional requests (RFC 9110 §13) for the feeds and the JSON API, and caching of public pages.

Feed readers and bots poll `/feed.atom`, the campaigns' feeds and `/api/v1/shoutouts` every few minutes,
and the answer seldom changes. A view marked `validated` answers with
- an ETag, a hash of everything the answer is made from: the version of what the wall shows
  (`kudos.wall_version`, which moves with every change a reader could see: a shout-out, a consent given or
  withdrawn, an erasure, an edit, a rename), this deployment (`build`: the code, the message files and the
  configuration the answers show), the request's address (scheme, host, path and query: the answer's
  links are absolute) and the language it is answered in;
- Last-Modified: when the wall last changed.
A request whose If-None-Match holds that ETag (weak comparison, several tags or `*`), or that sends no
If-None-Match and an If-Modified-Since not before that date, gets 304 Not Modified after one lookup by
primary key: no shout-out is read and nothing is rendered. Last-Modified follows the data only: a new
deployment changes every ETag, but a client that sends nothing but If-Modified-Since sees new wording
when the wall next changes.

The same ETag means the same answer, so a full request (a new reader, a poll without If-None-Match) with a
tag this process answered recently gets the bytes it was given, from memory: the lookup of the version is
then the only query and nothing is rendered. What could make a kept answer stale would make a 304 stale
too, and the tests hold the tag to every change a reader could see.

Public pages (`public`; `validated` implies it) may be reused by browsers and Toolforge's front proxy for
`MAX_AGE` seconds, only when the request is anonymous through and through: it brought no session and its
answer starts none. A signed-in page stays `private, no-store` (`kudos.web`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, make_response, request
from flask.typing import ResponseReturnValue
from werkzeug.http import parse_date
from werkzeug.wrappers import Response

from kudos import wall_version
from kudos.config import PROJECT_ROOT, Config
from kudos.lru import SharedLRU
from kudos.web.context import current_database, db_session
from kudos.web.i18n import current_language
from kudos.web.sessions import untouched

MAX_AGE = 60  # seconds: a minute of reuse spares the tool most repeated requests; an erasure shows soon
_HTTP_DATE = re.compile(  # RFC 9110 §5.6.7: IMF-fixdate, and the obsolete forms a recipient must accept
    r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT"
    r"|[A-Z][a-z]{5,8}, \d\d-[A-Z][a-z]{2}-\d\d \d\d:\d\d:\d\d GMT"
    r"|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}")
_ADDRESS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING")
ANSWERS = "kudos.answers"
KEPT_ANSWERS = 64  # per process: the feeds and the API's first pages in a few languages (a feed is ~30 KB)
# What the answers are made from, besides the data, the configuration and the request.
BUILT_FROM = ("kudos/**/*.py", "kudos/*.json", "templates/**/*.html", "i18n/*.json", "requirements.txt")


@functools.cache
def code_version(root: Path = PROJECT_ROOT) -> str:
    """A hash of the code, templates, messages and pinned libraries under `root`."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted({found for pattern in BUILT_FROM for found in root.glob(pattern) if found.is_file()}):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def build(config: Config, code: str | None = None) -> str:
    """This deployment: its code and messages, and what the answers show of the configuration (the tool's
    address, the wikis' names, the award catalogues). No secret goes into it: the ETag is public."""
    shown = {"tool_url": config.tool_url, "awards": config.section("awards"),
             "wikis": {wiki.id: [wiki.name, wiki.language] for wiki in config.wikis.values()}}
    text = json.dumps([code or code_version(), shown], sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def public(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """A page anyone may see: reusable for `MAX_AGE` seconds when the request is anonymous."""
    @functools.wraps(view)
    def page(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        g.public_page = True
        return view(*args, **kwargs)

    return page


def validated(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """A public page with an ETag and Last-Modified, answered 304 when the client's copy is current."""
    @functools.wraps(view)
    def page(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        g.public_page = True
        # Read before the view reads anything, so its answer is at least as new as the tag it carries.
        if "If-None-Match" in request.headers or "If-Modified-Since" in request.headers:
            # Likely a 304: the cheapest lookup there is, on a connection of its own.
            with current_database().engine.connect() as connection:
                version, modified = wall_version.read(connection)
        else:
            # Certainly rendered: in the transaction (and the connection) the view reads the shout-outs in.
            version, modified = wall_version.read(db_session().connection())
        tag = _etag(version, modified)
        last_modified = _last_modified(modified)
        if request.if_none_match.star_tag:
            # "*": not modified if there is anything here at all, which only the view knows.
            response = make_response(view(*args, **kwargs))
            return _not_modified(tag) if response.status_code == 200 else response
        if _current(tag, last_modified):
            return _not_modified(tag)
        answer = _answered(tag)
        if answer is None:
            answer = make_response(view(*args, **kwargs))
            _keep(tag, answer)
        if answer.status_code == 200:
            answer.set_etag(tag, weak=True)
            if last_modified is not None:  # werkzeug would write the time of day for None
                answer.last_modified = last_modified
        return answer

    return page


def _answered(tag: str) -> Response | None:
    answers: SharedLRU[str, tuple[bytes, str]] = current_app.extensions[ANSWERS]  # by ETag: a body and its type
    kept = answers.get(tag)
    if kept is None:
        return None
    body, content_type = kept
    response: Response = current_app.response_class(body, content_type=content_type)
    return response


def _keep(tag: str, response: Response) -> None:
    # Only a whole answer, and only a body and its type can be given again as they were: a view that set any
    # other header (a cookie, a redirect) is rendered every time.
    headers = {name.lower() for name in response.headers.keys()}
    if response.status_code != 200 or response.is_streamed or headers - {"content-type", "content-length"}:
        return
    answers: SharedLRU[str, tuple[bytes, str]] = current_app.extensions[ANSWERS]
    answers.put(tag, (response.get_data(), response.content_type or ""))


def _etag(version: int, modified: int) -> str:
    # `modified` too: should the counter's row ever be lost and counting restart, old tags still differ.
    # The language as chosen (`?uselang=`, else Accept-Language) and whether messages show as keys (qqx).
    # The address as the WSGI environment gives it, which is all `url_for(_external=True)` builds from.
    parts = (current_app.extensions["kudos.build"], version, modified, current_language(), bool(g.get("qqx")),
             *(request.environ.get(key, "") for key in _ADDRESS))
    return hashlib.blake2b("\n".join(map(str, parts)).encode(), digest_size=12).hexdigest()


def _last_modified(modified: int) -> datetime | None:
    """None while the wall has no date yet, or while several changes within one second have moved the
    date past the clock (a server must not send a Last-Modified in the future)."""
    moment = datetime.fromtimestamp(modified, UTC)
    return moment if 0 < modified and moment <= datetime.now(UTC) else None


def _current(tag: str, last_modified: datetime | None) -> bool:
    """Whether the client's copy is the current one (RFC 9110 §13.2.2 for GET and HEAD)."""
    if "If-None-Match" in request.headers:
        return request.if_none_match.contains_weak(tag)  # If-Modified-Since is then ignored
    value = request.headers.get("If-Modified-Since", "")
    # Ignored unless it is exactly one HTTP date (RFC 9110 §13.1.3); a date after the clock is not one this
    # server sent, and is ignored too.
    since = parse_date(value) if _HTTP_DATE.fullmatch(value) else None
    return (since is not None and last_modified is not None
            and last_modified <= since <= datetime.now(UTC))


def _not_modified(tag: str) -> Response:
    response: Response = current_app.response_class(status=304)
    response.set_etag(tag, weak=True)
    return response


def _cache_control(response: Response) -> Response:
    if (g.get("public_page") and response.status_code in (200, 304) and request.method in ("GET", "HEAD")
            and untouched()):
        response.headers.setdefault("Cache-Control", f"public, max-age={MAX_AGE}")
    return response


def init_app(app: Flask, config: Config) -> None:
    app.extensions["kudos.build"] = build(config)
    app.extensions[ANSWERS] = SharedLRU[str, tuple[bytes, str]](KEPT_ANSWERS)
    app.after_request(_cache_control)
