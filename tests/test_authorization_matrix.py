"""Every route × every kind of person, generated from Flask's URL map.

A new route without an entry in MATRIX fails `test_every_route_has_an_entry`, so nobody adds a page
without deciding who may use it. Removing an authorization check from a view fails the row for the
people who should have been refused.

The campaigns' wiki is the real local MediaWiki: reviewing actions ask it whether the person is blocked
there, and `wiki_blocked` is an organizer whom that wiki blocked after they signed in. Creating a campaign
asks it for the person's edits too: `newcomer` has fewer than the bar asks for there.

On MariaDB, which production runs on (the rule: tests/servers/database.py): who may do what is decided in
kudos/access.py, the same on both databases. Every route's views run on SQLite as well, for four kinds of
person with valid and hostile input, in test_hostile_requests.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete

from kudos import bulk, campaigns, consent_links, nominations, participants, people
from kudos.clock import utcnow
from kudos.config import Config
from kudos.db import Database
from kudos.models import Base, CampaignKind, Consent, DeliveryStatus, ParticipantSource, Suggestion
from kudos.web import create_app
from tests.servers.database import ON_MARIADB
from tests.servers.mediawiki import LocalWiki
from tests.support import make_config
from tests.wiki_people import create_accounts

pytestmark = ON_MARIADB

SUGGESTED, SET_ASIDE = 4242, 4243  # wiki account ids of two people suggested for campaign A
ROLES = ("anonymous", "nominator", "newcomer", "blocked", "organizer_a", "organizer_b", "creator", "wiki_blocked",
         "admin")
WIKI_BLOCKED = "Matrix Wilma"
NEWCOMER = "Matrix Newbie"
CREATION_BAR = 10  # edits on the wiki; everyone but the newcomer has more there
SESSIONS = {
    "anonymous": None,
    "nominator": {"username": "Nina", "editcount": 500},
    # Signed in like anyone else; the wiki says they have made too few edits there to create a campaign.
    "newcomer": {"username": NEWCOMER, "editcount": 500},
    "blocked": {"username": "Bob", "editcount": 500, "blocked": True},
    "organizer_a": {"username": "Olga", "editcount": 500},
    "organizer_b": {"username": "Oscar", "editcount": 500},
    "creator": {"username": "Cora", "editcount": 500},  # created campaign A; neither organizer nor admin
    # Organizes campaign A; blocked on its wiki after signing in, so the session does not say so.
    "wiki_blocked": {"username": WIKI_BLOCKED, "editcount": 500},
    "admin": {"username": "Ada", "editcount": 500},
}


@dataclass(frozen=True)
class Case:
    path: str  # may name seeded objects: {pending}, {delivered}, {failed}
    expect: dict[str, int]
    data: dict[str, str | list[str]] = field(default_factory=dict)
    reseed: bool = False  # a fresh database per role, for actions that can be done only once


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def roles(anonymous: int, others: int, **special: int) -> dict[str, int]:
    expect = dict.fromkeys(ROLES, others)
    expect["anonymous"] = anonymous
    expect.update(special)
    return expect


# Who may see a campaign's organizer pages, and who may change something there (participants): its
# organizers, its creator and admins. Reviewing actions are narrower, see their rows.
MANAGERS_SEE = {"organizer_a": 200, "creator": 200, "wiki_blocked": 200, "admin": 200}
MANAGERS_DO = {"organizer_a": 302, "creator": 302, "wiki_blocked": 302, "admin": 302}

MATRIX: dict[tuple[str, str], Case] = {
    ("static", "GET"): Case("/static/kudos.css", everyone(200)),
    ("health.healthz", "GET"): Case("/healthz", everyone(200)),
    ("wall.index", "GET"): Case("/", everyone(200)),
    ("wall.feed", "GET"): Case("/feed.atom", everyone(200)),
    ("auth.login", "GET"): Case("/login", everyone(200)),
    ("auth.login", "POST"): Case("/login", everyone(302), {"username": "Someone"}),
    ("auth.logout", "POST"): Case("/logout", everyone(302)),
    # Anonymous people have no sessions to end: they are sent to sign in first.
    ("auth.logout_everywhere", "POST"): Case("/logout/everywhere", everyone(302)),
    ("auth.oauth_callback", "GET"): Case("/oauth/callback", everyone(404)),  # no OAuth consumer in demo mode
    ("organizers.index", "GET"): Case("/campaigns/campaign-a/organizers", roles(302, 403, **MANAGERS_SEE)),
    # Only admins and the campaign's creator appoint organizers; an organizer cannot add a second account.
    ("organizers.add", "POST"): Case("/campaigns/campaign-a/organizers",
                                     roles(403, 403, creator=302, admin=302), {"username": "Newbie"}),
    ("insight.participants_index", "GET"): Case("/campaigns/campaign-a/participants",
                                                roles(302, 403, **MANAGERS_SEE)),
    ("insight.participants_add", "POST"): Case("/campaigns/campaign-a/participants",
                                               roles(403, 403, **MANAGERS_DO),
                                               {"source": "paste", "names": "Newbie"}),
    ("insight.participants_hide", "POST"): Case("/campaigns/campaign-a/participants/hide",
                                                roles(403, 403, **MANAGERS_DO),
                                                {"username": "Pat", "hidden": "1"}),
    ("insight.follow_up", "GET"): Case("/campaigns/campaign-a/follow-up", roles(302, 403, **MANAGERS_SEE)),
    ("insight.campaign_report", "GET"): Case("/campaigns/campaign-a/report", roles(302, 403, **MANAGERS_SEE)),
    ("insight.campaign_report_csv", "GET"): Case("/campaigns/campaign-a/report.csv",
                                                 roles(302, 403, **MANAGERS_SEE)),
    # Every signed-in person has a home page; what it shows is theirs alone (tests/test_dashboard.py).
    ("insight.dashboard", "GET"): Case("/dashboard", roles(302, 200)),
    ("directory.index", "GET"): Case("/campaigns", everyone(200)),
    # Praise suggestions: seen by those who see the report, decided on by those who manage the campaign; thanking
    # several people at once is a bulk nomination, refused to an organizer the campaign's wiki blocks.
    ("suggestions.index", "GET"): Case("/campaigns/campaign-a/suggestions", roles(302, 403, **MANAGERS_SEE)),
    ("suggestions.snooze", "POST"): Case("/campaigns/campaign-a/suggestions/snooze", roles(403, 403, **MANAGERS_DO),
                                         {"user_id": str(SUGGESTED)}),
    ("suggestions.dismiss", "POST"): Case("/campaigns/campaign-a/suggestions/dismiss", roles(403, 403, **MANAGERS_DO),
                                          {"user_id": str(SUGGESTED)}, reseed=True),
    ("suggestions.restore", "POST"): Case("/campaigns/campaign-a/suggestions/restore", roles(403, 403, **MANAGERS_DO),
                                          {"user_id": str(SET_ASIDE)}, reseed=True),
    ("suggestions.thank", "POST"): Case("/campaigns/campaign-a/suggestions/thank",
                                        roles(403, 403, organizer_a=302, creator=302, admin=302),
                                        {"pick": str(SUGGESTED), f"line-{SUGGESTED}": "Thanks for the river photos!",
                                         "award": "barnstar"}, reseed=True),
    ("suggestions.settings", "POST"): Case("/campaigns/campaign-a/suggestions/settings",
                                           roles(403, 403, **MANAGERS_DO),
                                           {"min_edits": "8", "days": "7", "max_edits": "500", "snooze_days": "10",
                                            "newcomer_days": "30"}),
    # Creating a campaign: admins, and people over the wiki's bar (asked of the wiki when they act).
    ("campaign_form.new", "GET"): Case("/campaigns/new", roles(302, 200, newcomer=403, blocked=403, wiki_blocked=403)),
    # Whether a short name is free, as the creation form's short name is typed: for anyone signed in.
    ("campaign_form.slug_check", "GET"): Case("/campaigns/new/slug", roles(302, 200)),
    ("campaign_form.create", "POST"): Case("/campaigns/new", roles(403, 302, newcomer=403, blocked=403,
                                                                   wiki_blocked=403),
                                           {"name": "Matrix workshop", "slug": "matrix-workshop", "wiki": "orwiki",
                                            "kind": "workshop", "awards": ["barnstar"]}, reseed=True),
    # A campaign's settings: its organizers and admins; an organizer blocked on its wiki sees them but saving
    # or closing asks the wiki and is refused.
    ("campaign_form.settings", "GET"): Case("/campaigns/campaign-a/settings",
                                            roles(302, 403, organizer_a=200, wiki_blocked=200, admin=200)),
    ("campaign_form.save", "POST"): Case("/campaigns/campaign-a/settings", roles(403, 403, organizer_a=302, admin=302),
                                         {"name": "Campaign A renamed", "wiki": "orwiki", "kind": "event",
                                          "awards": ["barnstar"]}, reseed=True),
    ("campaign_form.close", "POST"): Case("/campaigns/campaign-a/close", roles(403, 403, organizer_a=302, admin=302),
                                          reseed=True),
    ("privacy.policy", "GET"): Case("/privacy", everyone(200)),
    ("privacy.download", "GET"): Case("/me/data.json", roles(302, 200)),
    ("privacy.confirm_delete", "GET"): Case("/me/delete", roles(302, 200)),
    ("privacy.delete", "POST"): Case("/me/delete", roles(403, 200), {"confirm": "y"}),
    ("wall.campaign", "GET"): Case("/campaigns/campaign-a", everyone(200)),
    ("wall.campaign_feed", "GET"): Case("/campaigns/campaign-a/feed.atom", everyone(200)),
    ("wall.person", "GET"): Case("/users/orwiki/Sita", everyone(200)),  # Sita consented; others have no page
    ("wall.shoutout", "GET"): Case("/shoutouts/{delivered}", everyone(200)),
    ("api.shoutouts", "GET"): Case("/api/v1/shoutouts", everyone(200)),
    ("review.queue", "GET"): Case("/review", roles(302, 403, organizer_a=200, organizer_b=200, wiki_blocked=200,
                                                   admin=200)),
    ("review.approve", "POST"): Case("/review/{pending}/approve", roles(403, 403, organizer_a=302, admin=302),
                                     reseed=True),
    ("review.reject", "POST"): Case("/review/{pending}/reject", roles(403, 403, organizer_a=302, admin=302),
                                    {"reason": "Not about this event."}, reseed=True),
    # Anyone with a queue may send the form; each selected nomination is then checked on its own (the
    # refusals are reported on the next page: tests/test_wiki_blocks.py).
    ("review.approve_selected", "POST"): Case("/review/approve-selected",
                                              roles(403, 403, organizer_a=302, organizer_b=302, wiki_blocked=302,
                                                    admin=302),
                                              {"ids": "{pending}"}, reseed=True),
    ("review.deliveries", "GET"): Case("/campaigns/campaign-a/deliveries", roles(302, 403, **MANAGERS_SEE)),
    ("review.retry", "POST"): Case("/deliveries/{failed}/retry", roles(403, 403, organizer_a=302, creator=302,
                                                                     admin=302), reseed=True),
    ("admin.failed", "GET"): Case("/admin/deliveries", roles(302, 403, admin=200)),
    ("bulk.form", "GET"): Case("/campaigns/campaign-a/bulk", roles(302, 403, **MANAGERS_SEE)),
    ("bulk.submit", "POST"): Case("/campaigns/campaign-a/bulk", roles(403, 403, organizer_a=200, creator=200,
                                                                      admin=200),
                                  {"names": "Newbie", "award": "barnstar",
                                   "message": "Thanks for editing all day at the workshop."}, reseed=True),
    # An empty form is refused by its checks (400) before any wiki is asked; blocked people never get that far.
    ("nominate.form", "GET"): Case("/nominate", roles(302, 200, blocked=403)),
    ("nominate.preview", "POST"): Case("/nominate", roles(403, 400, blocked=403)),
    ("nominate.confirm", "POST"): Case("/nominate/confirm", roles(403, 400, blocked=403)),
    ("me.index", "GET"): Case("/me", roles(302, 200)),
    ("me.consent", "POST"): Case("/me/consent", roles(403, 302), {"choice": "granted"}),
    ("me.opt_out", "POST"): Case("/me/opt-out", roles(403, 302), {"opted_out": "no"}),
    ("me.withdraw", "POST"): Case("/me/nominations/{ninas_nomination}/withdraw", roles(403, 403, nominator=302)),
    # The consent link of an award to Nina: only Nina may answer it.
    ("consent.ask", "GET"): Case("/consent/{consent_for_nina}", roles(302, 403, nominator=200)),
    ("consent.answer", "POST"): Case("/consent/{consent_for_nina}", roles(403, 403, nominator=302),
                                     {"choice": "granted"}),
}


def _everyone_exists(names: Sequence[str]) -> dict[str, bulk.WikiUser]:
    return {name: bulk.WikiUser(exists=True) for name in names}


@pytest.fixture(scope="module")
def wiki(local_wiki: LocalWiki) -> LocalWiki:
    people = [s["username"] for s in SESSIONS.values() if s and s["username"] != "Ada"]
    create_accounts(local_wiki, people)
    local_wiki.set_editcounts({name: 0 if name == NEWCOMER else 500 for name in people})
    local_wiki.block(WIKI_BLOCKED)
    return local_wiki


def _config(database: Database, wiki: LocalWiki) -> Config:
    return make_config(database_url=database.url, admins=["Ada"], wikis={
        "orwiki": {"api_url": wiki.api_url, "language": "or", "name": "Odia Wikipedia"}},
        campaign_creation={"min_edits": CREATION_BAR, "min_account_age_days": 0})


def _app(database: Database, wiki: LocalWiki, csrf: bool) -> Flask:
    app = create_app(_config(database, wiki), database)
    app.config["WTF_CSRF_ENABLED"] = csrf
    app.extensions["kudos.user_lookup"] = lambda _wiki: _everyone_exists
    return app


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}


def _seed(database: Database, wiki: LocalWiki) -> dict[str, object]:
    """Two campaigns, a pending nomination, a delivered one (Sita consented), a failed delivery and a
    nomination of Nina; returns the values for the {placeholders} of MATRIX paths."""
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    config = _config(database, wiki)
    with database.transaction() as session:
        now = utcnow()
        a = campaigns.create(session, config, slug="campaign-a", name="Campaign A", wiki="orwiki", actor="Cora",
                             kind=CampaignKind.event, organizers=["Olga", WIKI_BLOCKED],
                             starts=now - timedelta(days=1))
        campaigns.create(session, config, slug="campaign-b", name="Campaign B", wiki="orwiki", actor="Ada",
                         kind=CampaignKind.event, organizers=["Oscar"])
        pending = nominations.nominate(session, config, campaign=a, nominator="Nina", recipient="Ravi",
                                       award="barnstar", message="Wrote three fine articles about rivers.",
                                       link="Mahanadi")
        people.set_consent(session, "Sita", Consent.granted)
        delivered = nominations.nominate(session, config, campaign=a, nominator="Nina", recipient="Sita",
                                         award="barnstar", message="Photographed every temple in town.")
        nominations.approve(session, config, delivered, "Ada")
        talk, wall = delivered.deliveries[0], delivered.deliveries[-1]
        talk.status, talk.last_error = DeliveryStatus.failed, "The page is protected."
        wall.status, wall.done_at = DeliveryStatus.done, now
        for_nina = nominations.nominate(session, config, campaign=a, nominator="Oscar", recipient="Nina",
                                        award="barnstar", message="Welcomed every newcomer at the workshop.")
        participants.add(session, a, ["Pat", "Ravi"], ParticipantSource.paste, "Olga")
        session.add_all([Suggestion(campaign_id=a.id, user_id=SUGGESTED, username="Sunil", source="participant",
                                    editcount=20, days=7, edits=9, pages=3, bytes_added=900, reverted=0, notable=[],
                                    eligible_since=now),
                         Suggestion(campaign_id=a.id, user_id=SET_ASIDE, username="Dora", source="newcomer",
                                    notable=[], dismissed_at=now, dismissed_by="Olga")])
        session.flush()
        return {"pending": pending.id, "delivered": delivered.id, "failed": talk.id,
                "ninas_nomination": pending.id,
                "consent_for_nina": consent_links.token_for(config, for_nina.id, "Nina")}


def _request(client: FlaskClient, case: Case, method: str, ids: dict[str, object]) -> int:
    data = {k: v.format(**ids) if isinstance(v, str) else v for k, v in case.data.items()}
    return client.open(case.path.format(**ids), method=method, data=data).status_code


def _as(client: FlaskClient, role: str) -> FlaskClient:
    with client.session_transaction() as session:
        session.clear()
        if SESSIONS[role] is not None:
            session["user"] = SESSIONS[role]
    return client


def test_every_route_has_an_entry(database: Database, wiki: LocalWiki) -> None:
    routes = _routes(_app(database, wiki, csrf=True))
    missing = sorted(routes - set(MATRIX))
    assert not missing, f"routes without an entry in the authorization matrix: {missing}"
    assert not sorted(set(MATRIX) - routes), "matrix entries for routes that no longer exist"


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[1]} {r[0]}")
def test_route_answers_each_role_as_expected(database: Database, wiki: LocalWiki, route: tuple[str, str]) -> None:
    ids = _seed(database, wiki)
    case = MATRIX[route]
    client = _app(database, wiki, csrf=False).test_client()
    seen = {}
    for role in ROLES:
        if case.reseed:
            ids = _seed(database, wiki)
        _as(client, role)
        seen[role] = _request(client, case, route[1], ids)
    assert seen == case.expect


# What the organizer's home shows each person: the campaigns they organize, with their figures, and no other.
DASHBOARD_SHOWS = {"nominator": [], "blocked": [], "organizer_a": ["campaign-a"], "organizer_b": ["campaign-b"],
                   "creator": [], "wiki_blocked": ["campaign-a"], "admin": []}


def test_the_dashboard_shows_each_person_only_the_campaigns_they_organize(database: Database,
                                                                          wiki: LocalWiki) -> None:
    _seed(database, wiki)
    client = _app(database, wiki, csrf=False).test_client()
    seen = {}
    for role in DASHBOARD_SHOWS:
        page = _as(client, role).get("/dashboard").get_data(as_text=True)
        seen[role] = re.findall(r'class="cdx-card kudos-home-campaign" data-campaign="([^"]+)"', page)
        if role not in ("organizer_a", "wiki_blocked"):
            assert "Ravi" not in page and "campaign-a/deliveries" not in page, role
    assert seen == DASHBOARD_SHOWS


@pytest.mark.parametrize("route", sorted(r for r in MATRIX if r[1] == "POST"), ids=lambda r: r[0])
def test_every_post_needs_a_csrf_token(database: Database, wiki: LocalWiki, route: tuple[str, str]) -> None:
    ids = _seed(database, wiki)
    client = _as(_app(database, wiki, csrf=True).test_client(), "admin")
    assert _request(client, MATRIX[route], "POST", ids) == 400


def test_state_changes_are_never_done_by_get(database: Database, wiki: LocalWiki) -> None:
    """Only POST changes state: login's GET shows a form, and no route accepts PUT, PATCH or DELETE."""
    for _endpoint, method in _routes(_app(database, wiki, csrf=True)):
        assert method in ("GET", "POST")


WIKIMEDIA = re.compile(r"^https://([a-z0-9-]+\.)*(wikipedia|wikimedia|wikidata|mediawiki|wiktionary|wikisource)"
                       r"\.org/")
# The organizer's share helper links (never loads) WhatsApp's and Facebook's share pages.
SHARE_PAGES = re.compile(r"^https://(wa\.me/\?text=|www\.facebook\.com/sharer/sharer\.php\?u=)")


def test_no_page_loads_anything_from_another_host(database: Database, wiki: LocalWiki) -> None:
    ids = _seed(database, wiki)
    client = _app(database, wiki, csrf=True).test_client()
    for role in ("anonymous", "nominator", "admin"):
        _as(client, role)
        for (_endpoint, method), case in MATRIX.items():
            if method != "GET":
                continue
            response = client.get(case.path.format(**ids))
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            page = response.get_data(as_text=True)
            for attribute, url in re.findall(r'\b(src|href|action)="(https?://[^"]*)"', page):
                url = html.unescape(url)
                assert attribute == "href" and (WIKIMEDIA.match(url) or SHARE_PAGES.match(url)), \
                    f"{case.path} loads {url}"
