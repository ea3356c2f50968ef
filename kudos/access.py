"""Who may do what: the one place that answers "may this person do this to that object".

Every view and command asks here; none re-implements a check. Powers come from configuration (tool
admins), from campaigns (organizers, trusted nominators, the campaign's creator) and from the wiki
(blocked or not, edit count).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from kudos.config import Config
from kudos.models import Campaign, MemberRole, Nomination, NominationStatus
from kudos.names import canonical_username


class Action(enum.StrEnum):
    nominate = "nominate"  # on a campaign
    withdraw = "withdraw"  # a nomination
    review = "review"  # approve, reject or edit a nomination; or see a campaign's queue
    see_review_queue = "see_review_queue"  # no object: has the person any queue at all?
    manage_campaign = "manage_campaign"  # add organizers, participants, bulk nominations
    see_report = "see_report"  # a campaign's report and follow-up list
    create_campaign = "create_campaign"
    administer = "administer"  # failed deliveries, retries, tool-wide views
    manage_self = "manage_self"  # own consent, opt-out, data export and deletion


@dataclass(frozen=True)
class Actor:
    """A signed-in person as far as authorization cares; `None` stands for anonymous."""

    username: str
    blocked: bool = False
    editcount: int = 0
    admin: bool = False
    organizes: frozenset[int] = field(default_factory=frozenset)  # campaign ids

    @classmethod
    def of(cls, config: Config, username: str, *, blocked: bool = False, editcount: int = 0,
           organizes: frozenset[int] = frozenset()) -> Actor:
        name = canonical_username(username)
        return cls(name, blocked, editcount, name in config.admins, organizes)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # a sentence for the person when refused

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)
SIGN_IN = Decision(False, "Sign in with your Wikimedia account first.")


def may(actor: Actor | None, action: Action, obj: Campaign | Nomination | None = None) -> Decision:
    if actor is None:
        return SIGN_IN
    if action == Action.manage_self:
        return ALLOW  # blocked people too: consent and opt-out are theirs to manage
    if action == Action.nominate:
        return _may_nominate(actor, _campaign(obj))
    if action == Action.withdraw:
        nomination = _nomination(obj)
        if nomination.nominator != actor.username:
            return Decision(False, "Only the person who made a nomination can withdraw it.")
        if nomination.status != NominationStatus.pending:
            return Decision(False, "Only a pending nomination can be withdrawn.")
        return ALLOW
    if action == Action.review:
        return _may_review(actor, obj)
    if action == Action.see_review_queue:
        if actor.admin or actor.organizes:
            return ALLOW
        return Decision(False, "The review queue is for campaign organizers.")
    if action in (Action.manage_campaign, Action.see_report):
        campaign = _campaign(obj)
        if actor.admin or is_organizer(actor, campaign) or campaign.created_by == actor.username:
            return ALLOW
        return Decision(False, f"Only the organizers of “{campaign.name}” can do this.")
    if action == Action.create_campaign:
        if actor.blocked:
            return Decision(False, "Blocked accounts cannot create campaigns.")
        if actor.admin:
            return ALLOW
        return Decision(False, "Only tool admins can create campaigns.")
    if action == Action.administer:
        return ALLOW if actor.admin else Decision(False, "Only tool admins can do this.")
    raise ValueError(f"unknown action {action!r}")


def is_organizer(actor: Actor, campaign: Campaign) -> bool:
    return campaign.id in actor.organizes or actor.username in campaign.usernames(MemberRole.organizer)


def _may_nominate(actor: Actor, campaign: Campaign) -> Decision:
    if actor.blocked:
        return Decision(False, "Blocked accounts cannot nominate. You can still manage your own consent "
                               "and opt-out on “My kudos”.")
    if campaign.min_editcount and actor.editcount < campaign.min_editcount:
        return Decision(False, f"“{campaign.name}” asks nominators to have made at least "
                               f"{campaign.min_editcount} edits; you have {actor.editcount}.")
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
        return Decision(False, "Blocked accounts cannot review nominations.")
    if isinstance(obj, Nomination):
        parties = (obj.nominator, obj.recipient)
        campaign = obj.campaign
    else:
        campaign = _campaign(obj)
    if parties is not None and actor.username in parties:
        return Decision(False, "You cannot review a nomination you made or received; another organizer "
                               "must do it.")
    if actor.admin or is_organizer(actor, campaign):
        return ALLOW
    return Decision(False, f"Only the organizers of “{campaign.name}” can review its nominations.")


def _campaign(obj: object) -> Campaign:
    if not isinstance(obj, Campaign):
        raise TypeError("this action applies to a campaign")
    return obj


def _nomination(obj: object) -> Nomination:
    if not isinstance(obj, Nomination):
        raise TypeError("this action applies to a nomination")
    return obj
