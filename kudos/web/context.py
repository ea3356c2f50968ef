"""Request-scoped access to the configuration, the database session and the signed-in person."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, g, session
from sqlalchemy.orm import Session

from kudos.config import Config
from kudos.db import Database
from kudos.names import canonical_username
from kudos.web.sessions import start_over
from kudos.wikiapi import WikiApi


@dataclass(frozen=True)
class User:
    """The signed-in Wikimedian, as the wiki identified them at login."""

    username: str
    central_id: int | None = None
    blocked: bool = False
    editcount: int = 0
    groups: tuple[str, ...] = field(default_factory=tuple)

    def to_session(self) -> dict[str, object]:
        return {"username": self.username, "central_id": self.central_id, "blocked": self.blocked,
                "editcount": self.editcount, "groups": list(self.groups)}

    @classmethod
    def from_session(cls, data: dict[str, object]) -> User:
        central_id = data.get("central_id")
        editcount = data.get("editcount") or 0
        return cls(
            username=canonical_username(str(data["username"])),
            central_id=int(central_id) if isinstance(central_id, (int, str)) else None,
            blocked=bool(data.get("blocked")),
            editcount=int(editcount) if isinstance(editcount, (int, str)) else 0,
            groups=tuple(str(x) for x in data.get("groups") or ()),  # type: ignore[attr-defined]
        )


def current_config() -> Config:
    config: Config = current_app.extensions["kudos.config"]
    return config


def current_database() -> Database:
    database: Database = current_app.extensions["kudos.db"]
    return database


def db_session() -> Session:
    """One session per request for reads; writes use `current_database().transaction()`."""
    if "db_session" not in g:
        g.db_session = current_database().session()
    return g.db_session


def current_user() -> User | None:
    if "user" not in g:
        data = session.get("user")
        g.user = User.from_session(data) if isinstance(data, dict) and data.get("username") else None
    return g.user


def sign_in(user: User) -> None:
    """Start a fresh session for the person: nothing from before login survives, the CSRF token included."""
    start_over()
    session["user"] = user.to_session()
    g.user = user


def sign_out() -> None:
    """End this session for good: its id is dead, also in a copy of the cookie."""
    start_over()
    g.user = None


def wiki_api() -> WikiApi:
    """The app's wiki client: one per app, so its short user cache is shared between requests."""
    client: WikiApi | None = current_app.extensions.get("kudos.wikiapi")
    if client is None:
        config = current_config()
        if config.wikis_offline:  # the demo without MediaWiki: its people stand in for the wikis
            from kudos.demo.directory import DemoDirectory

            client = DemoDirectory(config)
        else:
            client = WikiApi(config)
        current_app.extensions["kudos.wikiapi"] = client
    return client
