"""What a reader of the wiki sees, against a real MediaWiki: the section heading and the edit summary in the
wiki's content language, and a link to the recipient's own Kudos page only when they agreed to public
sharing (the same rule as the wall's personal pages)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from kudos import consent_links, people, wall
from kudos.config import PROJECT_ROOT
from kudos.models import Consent
from kudos.web import create_app
from tests import wikibot_support
from tests.servers.database import ON_MARIADB
from tests.wikibot_support import WIKI_ID, Job, deliveries

delivery_bot = wikibot_support.delivery_bot
job = wikibot_support.job

# Rendering, the wiki's behaviour: on MariaDB only (the rule: tests/servers/database.py).
pytestmark = [pytest.mark.mediawiki, ON_MARIADB]

ODIA = json.loads((PROJECT_ROOT / "i18n" / "or.json").read_text(encoding="utf-8"))


def _fill(text: str, *params: str) -> str:
    for number, value in enumerate(params, start=1):
        text = text.replace(f"${number}", value)
    return text


def test_an_odia_wiki_gets_an_odia_section_and_only_a_consenting_recipient_gets_a_link_to_their_page(
        job: Job) -> None:
    settings = {**job.settings, "wikis": {WIKI_ID: {**job.settings["wikis"][WIKI_ID], "language": "or"}}}
    odia = Job(job.wiki, job.db, job.folder, settings, job.bot_user)
    agreed, undecided, refused = odia.users(3)
    with odia.db.transaction() as session:
        people.set_consent(session, agreed, Consent.granted)
        people.set_consent(session, refused, Consent.refused)
    ids = odia.approve([agreed, undecided, refused])
    assert odia.once()["done"] == 6  # three talk pages, three wall entries
    rows = deliveries(odia.db, ids)
    client = create_app(odia.config, odia.db).test_client()

    for recipient, delivery_id in zip((agreed, undecided, refused), ids, strict=True):
        nomination = rows[delivery_id].nomination
        title = f"User talk:{recipient}"
        parsed = odia.wiki.api(action="parse", page=title, prop="sections|externallinks")["parse"]
        assert [s["line"] for s in parsed["sections"]] == [_fill(ODIA["kudos-barnstar-heading"],
                                                                 "The Original Barnstar")]
        revision = odia.wiki.api(prop="revisions", titles=title, rvprop="comment")["query"]["pages"][0]
        shoutout = f"https://kudos.example.org/shoutouts/{nomination.id}"
        assert revision["revisions"][0]["comment"] == _fill(ODIA["kudos-barnstar-summary"], "The Original Barnstar",
                                                            recipient, wikibot_support.NOMINATOR, shoutout)
        own_page = wall.person_url(odia.config, WIKI_ID, recipient)
        consent = consent_links.consent_url(odia.config, nomination)
        links = set(parsed["externallinks"])
        # The wall has a page for exactly those the barnstar links to.
        assert client.get(urlsplit(own_page).path).status_code == (200 if recipient == agreed else 404)
        if recipient == agreed:
            assert links == {shoutout, own_page}
        else:  # no page of their own exists for them: they are asked instead
            assert links == {shoutout, consent}
            assert not any("/users/" in link for link in links)
