"""The demo's local wikis: installed once under the instance folder, served again on every later run.

Each wiki of DEMO_WIKIS gets its own MediaWiki in `<instance>/wikis/<id>` (the Odia one in Odia), with the
demo's people as accounts, the bot with one BotPassword that works on both (as a central login would), and
the talk pages that show the rules: one with {{nobots}}, one redirect left by a rename, one blocked user.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kudos.config import DEMO_WIKIS
from kudos.demo import cast
from kudos.devwiki import ImportedRevision, LocalWiki

READY = "demo-ready"  # written into a wiki's folder once it is fully set up


@dataclass(frozen=True)
class BotLogin:
    username: str  # KudosBot@kudos
    password: str


def serve(folder: Path, first_port: int) -> tuple[list[LocalWiki], BotLogin]:
    """Serve every demo wiki, setting them all up afresh unless an earlier run finished doing so."""
    secret_file = folder / "bot-password.json"
    bot = _stored_bot(secret_file)
    homes = {wiki_id: folder / wiki_id for wiki_id in DEMO_WIKIS}
    ready = bot is not None and all((h / READY).exists() and LocalWiki.installed(h) for h in homes.values())
    served: list[LocalWiki] = []
    try:
        for offset, (wiki_id, spec) in enumerate(DEMO_WIKIS.items()):
            home, port = homes[wiki_id], first_port + offset
            if ready:
                served.append(LocalWiki.reopen(home, port, cookie_prefix=wiki_id))
                continue
            shutil.rmtree(home, ignore_errors=True)
            wiki = LocalWiki.start(home, port, language=spec["language"], name=cast.SITE_NAMES[wiki_id],
                                   cookie_prefix=wiki_id)
            served.append(wiki)
            bot = _set_up(wiki, wiki_id, bot if offset else None)
        assert bot is not None
        if not ready:
            secret_file.write_text(json.dumps({"username": bot.username, "password": bot.password}))
            secret_file.chmod(0o600)
            for home in homes.values():
                (home / READY).touch()
    except BaseException:
        for wiki in served:
            wiki.stop()
        raise
    return served, bot


def _stored_bot(path: Path) -> BotLogin | None:
    try:
        stored = json.loads(path.read_text())
        return BotLogin(str(stored["username"]), str(stored["password"]))
    except (OSError, ValueError, KeyError):
        return None


def _set_up(wiki: LocalWiki, wiki_id: str, bot: BotLogin | None) -> BotLogin:
    wiki.create_accounts(cast.ACCOUNTS[:-1])
    wiki.create_accounts(cast.ACCOUNTS[-1:], signed_up=True)  # the newcomer, found through the sign-up log
    wiki.create_user(cast.BOT, bot=True)
    login, password = wiki.create_bot_password(cast.BOT, cast.BOT_APP, password=bot.password if bot else None)
    for title, text in cast.talk_pages().items():
        wiki.edit(title, text, "Kudos demo")
    wiki.block(cast.BLOCKED, "Kudos demo: a blocked account")
    if wiki_id == "orwiki":
        _walkers(wiki)
    return BotLogin(login, password)


def _walkers(wiki: LocalWiki) -> None:
    """The photo walkers' edits of the last week, which the job finds for the praise suggestions."""
    now = datetime.now(UTC).replace(tzinfo=None)
    made = cast.walkers_edits()
    revisions = [ImportedRevision(title, cast.page_start(title), cast.ORGANIZER, now - timedelta(days=20), "Kudos demo")
                 for title in dict.fromkeys(e.title for e in made)]
    revisions += [ImportedRevision(e.title, e.text, e.user, now - timedelta(hours=e.hours_ago), e.summary)
                  for e in made]
    wiki.import_revisions(revisions)
    user, title = cast.ROLLED_BACK
    wiki.rollback(title, user)
