"""Who may do what: the one place that answers "may this person do this to that object".

Every view and command asks here; none re-implements a check. Powers come from configuration (tool
admins), from campaigns (organizers, trusted nominators, the campaign's creator) and from the wiki
(blocked or not, edit count).

Reviewing actions (the ones in ON_WIKI) also need the person's standing on the campaign's wiki, asked
when they act: the `blocked` flag of the session is what Meta-Wiki said at sign-in, which misses a later
block and a local block on that wiki.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from kudos import i18n
from kudos.clock import utcnow
from kudos.config import Config, CreationBar
from kudos.models import Campaign, MemberRole, Nomination, NominationStatus
from kudos.names import canonical_username


class Action(enum.StrEnum):
    nominate = "nominate"  # on a campaign
    withdraw = "withdraw"  # a nomination
    review = "review"  # approve, reject or edit a nomination (one by one or several at once)
    see_review_queue = "see_review_queue"  # no object: has the person any queue at all?
    manage_campaign = "manage_campaign"  # a campaign's organizer pages: participants, deliveries, bulk form
    bulk_nominate = "bulk_nominate"  # nominate a whole participant list at once
    retry_delivery = "retry_delivery"  # send a failed delivery again
    appoint = "appoint"  # name a campaign's organizers and trusted nominators
    see_report = "see_report"  # a campaign's report and follow-up list
    create_campaign = "create_campaign"  # on a wiki (NewCampaign): admins, and people over its creation bar
    edit_campaign = "edit_campaign"  # a campaign's settings, closing it: its organizers and admins
    administer = "administer"  # failed deliveries, retries, tool-wide views
    manage_self = "manage_self"  # own consent, opt-out, data export and deletion


# Actions done for a campaign on its wiki: refused to anyone that wiki blocks, asked when they act.
ON_WIKI = frozenset({Action.review, Action.bulk_nominate, Action.retry_delivery, Action.appoint,
                     Action.edit_campaign, Action.create_campaign})


@dataclass(frozen=True)
class Standing:
    """A person's account on one wiki, as the wiki answered when they acted."""

    wiki_name: str
    blocked: bool | None  # None: the wiki could not be asked
    editcount: int = 0
    registered: datetime | None = None  # UTC; None: the wiki does not know (very old accounts)
    exists: bool = True


@dataclass(frozen=True)
class NewCampaign:
    """The object of Action.create_campaign: a campaign not made yet, on a wiki with its creation bar."""

    wiki: str
    bar: CreationBar

    @classmethod
    def on(cls, config: Config, wiki: str) -> NewCampaign:
        return cls(wiki, config.creation_bar(wiki))


@dataclass(frozen=True)
class Shortfall:
    """One part of a wiki's creation bar that a person does not meet: a message key and its parameters."""

    key: str
    params: tuple[object, ...] = ()


@dataclass(frozen=True)
class Actor:
    """A signed-in person as far as authorization cares; `None` stands for anonymous."""

    username: str
    blocked: bool = False  # what Meta-Wiki said at sign-in
    editcount: int = 0
    admin: bool = False
    organizes: frozenset[int] = field(default_factory=frozenset)  # campaign ids
    # Wiki id → standing there, asked for the wikis of the objects acted on. None for a decision that only
    # shows or hides a link or button: no wiki is asked for those, and the action itself asks again.
    standing: Mapping[str, Standing] | None = field(default=None, compare=False)

    def acting(self, standing: Mapping[str, Standing]) -> Actor:
        return replace(self, standing=dict(standing))

    @classmethod
    def of(cls, config: Config, username: str, *, blocked: bool = False, editcount: int = 0,
           organizes: frozenset[int] = frozenset()) -> Actor:
        name = canonical_username(username)
        return cls(name, blocked, editcount, name in config.admins, organizes)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # When refused, the sentence for the person: a message key (i18n/en.json) and its parameters, so the web
    # tool says it in the reader's language (`kudos.web.i18n.msg(decision)`); `reason` is the English one.
    key: str = ""
    params: tuple[object, ...] = ()
    unavailable: bool = False  # refused because a wiki could not be asked: try again later

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def reason(self) -> str:
        return i18n.text(i18n.SOURCE_LANGUAGE, self.key, *self.params) if self.key else ""


ALLOW = Decision(True)
SIGN_IN = Decision(False, "kudos-access-sign-in")


def may(actor: Actor | None, action: Action, obj: Campaign | Nomination | NewCampaign | None = None) -> Decision:
    if actor is None:
        return SIGN_IN
    if action == Action.manage_self:
        return ALLOW  # blocked people too: consent and opt-out are theirs to manage
    if action == Action.nominate:
        return _may_nominate(actor, _campaign(obj))
    if action == Action.withdraw:
        nomination = _nomination(obj)
        if nomination.nominator != actor.username:
            return Decision(False, "kudos-access-withdraw-not-nominator")
        if nomination.status != NominationStatus.pending:
            return Decision(False, "kudos-access-withdraw-not-pending")
        return ALLOW
    if action == Action.review:
        return _may_review(actor, obj if isinstance(obj, (Campaign, Nomination)) else None)
    if action == Action.see_review_queue:
        if actor.admin or actor.organizes:
            return ALLOW
        return Decision(False, "kudos-access-review-queue")
    if action == Action.appoint:
        campaign = _campaign(obj)
        if actor.blocked:
            return Decision(False, "kudos-access-blocked-appoint")
        if not (actor.admin or campaign.created_by == actor.username):
            return Decision(False, "kudos-access-appoint", (campaign.name,))
        return _on_wiki(actor, campaign)
    if action in (Action.manage_campaign, Action.see_report, Action.bulk_nominate, Action.retry_delivery):
        campaign = _campaign(obj)
        if action in ON_WIKI and actor.blocked:
            return Decision(False, "kudos-access-blocked-campaign")
        if actor.admin or is_organizer(actor, campaign) or campaign.created_by == actor.username:
            return _on_wiki(actor, campaign) if action in ON_WIKI else ALLOW
        return Decision(False, "kudos-access-organizers-only", (campaign.name,))
    if action == Action.create_campaign:
        return _may_create(actor, obj)
    if action == Action.edit_campaign:
        campaign = _campaign(obj)
        if actor.blocked:
            return Decision(False, "kudos-access-blocked-settings")
        if actor.admin or is_organizer(actor, campaign):
            return _on_wiki(actor, campaign)
        return Decision(False, "kudos-access-settings", (campaign.name,))
    if action == Action.administer:
        return ALLOW if actor.admin else Decision(False, "kudos-access-admins-only")
    raise ValueError(f"unknown action {action!r}")


def _may_create(actor: Actor, obj: object) -> Decision:
    if actor.blocked:
        return Decision(False, "kudos-access-blocked-create")
    if actor.admin:
        return ALLOW
    if not isinstance(obj, NewCampaign):
        raise TypeError("creating a campaign is decided for a wiki (NewCampaign)")
    if actor.standing is None:
        return ALLOW if obj.bar.self_service else Decision(False, "kudos-access-create-admins-only")
    standing = actor.standing.get(obj.wiki)
    if standing is None or standing.blocked is None:
        name = standing.wiki_name if standing else obj.wiki
        return Decision(False, "kudos-access-create-unavailable", (name,), unavailable=True)
    missing = creation_shortfalls(obj.bar, standing)
    if missing:
        return Decision(False, "kudos-access-create-unmet", (standing.wiki_name, len(missing)))
    return ALLOW


def creation_shortfalls(bar: CreationBar, standing: Standing, now: datetime | None = None) -> list[Shortfall]:
    """What a non-admin lacks to create a campaign on the wiki of `standing`; empty: nothing."""
    if not bar.self_service:
        return [Shortfall("kudos-campaign-new-unmet-admins-only", (standing.wiki_name,))]
    found = []
    if not standing.exists:
        found.append(Shortfall("kudos-campaign-new-unmet-account", (standing.wiki_name,)))
    if standing.blocked:
        found.append(Shortfall("kudos-campaign-new-unmet-blocked", (standing.wiki_name,)))
    if standing.editcount < bar.min_edits:
        found.append(Shortfall("kudos-campaign-new-unmet-edits", (bar.min_edits, standing.wiki_name,
                                                                   standing.editcount)))
    now = now or utcnow()
    # An account the wiki gives no registration date for predates the registration log: old enough.
    if bar.min_account_age_days and standing.registered is not None \
            and now - standing.registered < timedelta(days=bar.min_account_age_days):
        found.append(Shortfall("kudos-campaign-new-unmet-age", (bar.min_account_age_days,
                                                                 (now - standing.registered).days)))
    return found


def is_organizer(actor: Actor, campaign: Campaign) -> bool:
    return campaign.id in actor.organizes or actor.username in campaign.usernames(MemberRole.organizer)


def _may_nominate(actor: Actor, campaign: Campaign) -> Decision:
    if actor.blocked:
        return Decision(False, "kudos-access-blocked-nominate")
    if campaign.min_editcount and actor.editcount < campaign.min_editcount:
        return Decision(False, "kudos-access-min-edits", (campaign.name, campaign.min_editcount, actor.editcount))
    return ALLOW


def may_review(actor: Actor | None, campaign: Campaign, nominator: str, recipient: str) -> Decision:
    """`may(actor, Action.review, nomination)` for a nomination given by its parts.

    The review queue loads its rows as plain columns rather than ORM objects (it is a busy page); this
    asks the same rules about such a row.
    """
    if actor is None:
        return SIGN_IN
    return _may_review(actor, campaign, (nominator, recipient))


def _may_review(actor: Actor, obj: Campaign | Nomination | None,
                parties: tuple[str, str] | None = None) -> Decision:
    if actor.blocked:
        return Decision(False, "kudos-access-blocked-review")
    if isinstance(obj, Nomination):
        parties = (obj.nominator, obj.recipient)
        campaign = obj.campaign
    else:
        campaign = _campaign(obj)
    if parties is not None and actor.username in parties:
        return Decision(False, "kudos-access-own-nomination")
    if actor.admin or is_organizer(actor, campaign):
        return _on_wiki(actor, campaign)
    return Decision(False, "kudos-access-review-organizers-only", (campaign.name,))


def _on_wiki(actor: Actor, campaign: Campaign) -> Decision:
    """The last word for an action in ON_WIKI: is the person blocked on the campaign's wiki right now?"""
    if actor.standing is None:
        return ALLOW  # only showing a button; pressing it asks the wiki
    standing = actor.standing.get(campaign.wiki)
    if standing is None or standing.blocked is None:
        name = standing.wiki_name if standing else campaign.wiki
        # Not knowing is not permission: a block is exactly what an unanswered question could hide.
        return Decision(False, "kudos-access-wiki-unavailable", (name,), unavailable=True)
    if standing.blocked:
        return Decision(False, "kudos-access-blocked-on-wiki", (standing.wiki_name,))
    return ALLOW


def _campaign(obj: object) -> Campaign:
    if not isinstance(obj, Campaign):
        raise TypeError("this action applies to a campaign")
    return obj


def _nomination(obj: object) -> Nomination:
    if not isinstance(obj, Nomination):
        raise TypeError("this action applies to a nomination")
    return obj
