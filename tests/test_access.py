"""The authorization rules in kudos.access, without a web request in sight."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kudos import i18n
from kudos.access import ON_WIKI, Action, Actor, Decision, NewCampaign, Standing, creation_shortfalls, may
from kudos.clock import utcnow
from kudos.config import PROJECT_ROOT, CreationBar
from kudos.models import Campaign, CampaignMember, MemberRole, Nomination, NominationStatus
from kudos.names import canonical_username
from tests.support import make_config

CONFIG = make_config(admins=["Ada"])


def _campaign(campaign_id: int = 1, organizers: tuple[str, ...] = ("Olga",), min_editcount: int | None = None,
              created_by: str = "Ada") -> Campaign:
    campaign = Campaign(id=campaign_id, slug=f"c{campaign_id}", name=f"Campaign {campaign_id}", wiki="orwiki",
                        min_editcount=min_editcount, created_by=created_by)
    campaign.members = [CampaignMember(username=o, role=MemberRole.organizer) for o in organizers]
    return campaign


def _nomination(campaign: Campaign, nominator: str = "Nina", recipient: str = "Ravi",
                status: NominationStatus = NominationStatus.pending) -> Nomination:
    return Nomination(id=1, campaign=campaign, nominator=nominator, recipient=recipient, status=status)


def actor(name: str, **kwargs) -> Actor:  # type: ignore[no-untyped-def]
    return Actor.of(CONFIG, name, **kwargs)


def test_anonymous_is_asked_to_sign_in_for_everything() -> None:
    for action in Action:
        decision = may(None, action, _campaign())
        assert not decision and "Sign in" in decision.reason


def test_blocked_user_may_manage_own_consent_but_not_nominate() -> None:
    bob = actor("Bob", blocked=True, editcount=5000)
    assert may(bob, Action.manage_self)
    decision = may(bob, Action.nominate, _campaign())
    assert not decision and "Blocked" in decision.reason


def test_min_editcount_is_enforced_with_the_numbers() -> None:
    campaign = _campaign(min_editcount=100)
    assert may(actor("Nina", editcount=100), Action.nominate, campaign)
    decision = may(actor("Nina", editcount=99), Action.nominate, campaign)
    assert not decision and "at least 100 edits; you have 99" in decision.reason


def test_organizer_reviews_own_campaign_only() -> None:
    a, b = _campaign(1, ("Olga",)), _campaign(2, ("Oscar",))
    assert may(actor("Olga"), Action.review, _nomination(a))
    assert not may(actor("Olga"), Action.review, _nomination(b))
    assert not may(actor("Oscar"), Action.review, _nomination(a))


def test_organizer_cannot_review_a_nomination_they_made_or_received() -> None:
    campaign = _campaign(1, ("Olga",))
    assert not may(actor("Olga"), Action.review, _nomination(campaign, nominator="Olga"))
    assert not may(actor("Olga"), Action.review, _nomination(campaign, recipient="Olga"))


def test_admin_reviews_everywhere_but_not_own_nominations() -> None:
    campaign = _campaign(1, ("Olga",))
    assert may(actor("Ada"), Action.review, _nomination(campaign))
    assert not may(actor("Ada"), Action.review, _nomination(campaign, nominator="Ada"))


def test_organizers_are_appointed_by_admins_or_the_campaigns_creator_only() -> None:
    campaign = _campaign(1, ("Olga",), created_by="Carmen")
    assert may(actor("Ada"), Action.appoint, campaign)
    assert may(actor("Carmen"), Action.appoint, campaign)
    # An organizer cannot appoint a second account of theirs to approve their own nominations.
    decision = may(actor("Olga"), Action.appoint, campaign)
    assert not decision and "Only tool admins and the person who created “Campaign 1”" in decision.reason
    assert not may(actor("Nina"), Action.appoint, campaign)
    assert not may(actor("Carmen", blocked=True), Action.appoint, campaign)
    # Organizers, the creator and admins all manage the campaign's other pages.
    for name in ("Ada", "Carmen", "Olga"):
        assert may(actor(name), Action.manage_campaign, campaign)
    assert not may(actor("Nina"), Action.manage_campaign, campaign)


NEAR_NAMES = ["Carmen", "carmen", "Carmen_", "Carmen b", "Carmen_b", "Carme", "Carmens", "CARMEN", "E", "e", "Ee"]


@settings(max_examples=60)
@given(creator=st.sampled_from(NEAR_NAMES), someone=st.sampled_from(NEAR_NAMES))
def test_only_the_creators_own_account_appoints(creator: str, someone: str) -> None:
    """Prefixes, case variants and underscores: only the very account (MediaWiki's rules) is the creator."""
    campaign = _campaign(1, ("Olga",), created_by=canonical_username(creator))
    assert bool(may(actor(someone), Action.appoint, campaign)) == (
        canonical_username(someone) == canonical_username(creator))


def _standing(blocked: bool | None, wiki: str = "orwiki") -> dict[str, Standing]:
    return {wiki: Standing("Odia Wikipedia" if wiki == "orwiki" else "English Wikipedia", blocked)}


def test_every_reviewing_action_asks_the_campaigns_wiki() -> None:
    assert ON_WIKI == {Action.review, Action.bulk_nominate, Action.retry_delivery, Action.appoint,
                       Action.edit_campaign, Action.create_campaign}
    campaign = _campaign(1, ("Olga",), created_by="Olga")
    olga = actor("Olga")
    for action, obj in [(Action.review, _nomination(campaign)), (Action.bulk_nominate, campaign),
                        (Action.retry_delivery, campaign), (Action.appoint, campaign),
                        (Action.edit_campaign, campaign)]:
        assert may(olga.acting(_standing(False)), action, obj)
        blocked = may(olga.acting(_standing(True)), action, obj)
        assert not blocked and not blocked.unavailable
        assert "Your account is blocked on Odia Wikipedia" in blocked.reason
        # Not knowing is not permission: an unanswered wiki, or an answer from another wiki only.
        for standing in (_standing(None), _standing(False, wiki="enwiki")):
            unknown = may(olga.acting(standing), action, obj)
            assert not unknown and unknown.unavailable and "could not ask" in unknown.reason
        assert may(olga, action, obj)  # for showing the button only: pressing it asks the wiki
    # Seeing and managing a campaign's pages is not a reviewing action.
    assert may(olga.acting(_standing(True)), Action.manage_campaign, campaign)


def test_only_the_nominator_withdraws_and_only_while_pending() -> None:
    campaign = _campaign()
    assert may(actor("Nina"), Action.withdraw, _nomination(campaign))
    assert not may(actor("Olga"), Action.withdraw, _nomination(campaign))
    assert not may(actor("Nina"), Action.withdraw, _nomination(campaign, status=NominationStatus.approved))


@pytest.mark.parametrize("name,allowed", [("Ada", True), ("Olga", False), ("Nina", False)])
def test_administration_is_for_admins(name: str, allowed: bool) -> None:
    assert bool(may(actor(name), Action.administer)) == allowed


def test_review_queue_needs_a_campaign_to_organize() -> None:
    assert not may(actor("Nina"), Action.see_review_queue)
    assert may(actor("Olga", organizes=frozenset({1})), Action.see_review_queue)
    assert may(actor("Ada"), Action.see_review_queue)


def test_may_review_by_parts_gives_the_same_answers_as_for_a_nomination() -> None:
    # The review queue asks about plain rows; the rules must be the very same as for a loaded nomination.
    from kudos.access import may_review

    a, b = _campaign(1, ("Olga",)), _campaign(2, ("Oscar",))
    cases = [(actor("Olga"), a, "Nina", "Ravi"), (actor("Olga"), b, "Nina", "Ravi"),
             (actor("Olga"), a, "Olga", "Ravi"), (actor("Olga"), a, "Nina", "Olga"),
             (actor("Ada"), b, "Nina", "Ravi"), (actor("Ada"), b, "Ada", "Ravi"),
             (actor("Olga", blocked=True), a, "Nina", "Ravi"), (None, a, "Nina", "Ravi")]
    for who, campaign, nominator, recipient in cases:
        expected = may(who, Action.review, _nomination(campaign, nominator=nominator, recipient=recipient))
        assert may_review(who, campaign, nominator, recipient) == expected
    assert not may_review(actor("Olga"), a, "Olga", "Ravi").allowed


def _bar(**values: object) -> NewCampaign:
    return NewCampaign("orwiki", CreationBar(**values))  # type: ignore[arg-type]


def _on_orwiki(blocked: bool | None = False, editcount: int = 500, age_days: int | None = 400,
               exists: bool = True) -> dict[str, Standing]:
    registered = utcnow() - timedelta(days=age_days) if age_days is not None else None
    return {"orwiki": Standing("Odia Wikipedia", blocked, editcount, registered, exists)}


def test_creating_a_campaign_needs_the_wikis_bar_unless_admin() -> None:
    nina = actor("Nina")
    assert may(nina.acting(_on_orwiki()), Action.create_campaign, _bar())
    assert may(actor("Ada"), Action.create_campaign, _bar(self_service=False))  # admins always
    for standing, key in [(_on_orwiki(editcount=299), "kudos-campaign-new-unmet-edits"),
                          (_on_orwiki(age_days=29), "kudos-campaign-new-unmet-age"),
                          (_on_orwiki(blocked=True), "kudos-campaign-new-unmet-blocked"),
                          (_on_orwiki(exists=False, editcount=0, age_days=None), "kudos-campaign-new-unmet-account")]:
        assert not may(nina.acting(standing), Action.create_campaign, _bar())
        assert key in [s.key for s in creation_shortfalls(_bar().bar, standing["orwiki"])]
    # An account older than the registration log has no date: it is old enough.
    assert may(nina.acting(_on_orwiki(age_days=None)), Action.create_campaign, _bar())
    off = may(nina.acting(_on_orwiki()), Action.create_campaign, _bar(self_service=False))
    assert not off
    assert not may(actor("Bob", blocked=True), Action.create_campaign, _bar())
    unknown = may(nina.acting(_on_orwiki(blocked=None)), Action.create_campaign, _bar())
    assert not unknown and unknown.unavailable


def test_only_organizers_and_admins_edit_a_campaign() -> None:
    campaign = _campaign(1, ("Olga",), created_by="Carmen")
    assert may(actor("Olga"), Action.edit_campaign, campaign)
    assert may(actor("Ada"), Action.edit_campaign, campaign)
    for name in ("Carmen", "Nina", "Oscar"):
        assert not may(actor(name), Action.edit_campaign, campaign)
    assert not may(actor("Olga", blocked=True), Action.edit_campaign, campaign)


def _every_refusal() -> list[Decision]:
    """What the rules answer every kind of person for every action on a campaign, a nomination and a new
    campaign: plain, blocked, low edit count, organizer, the creator, an admin, known and unknown standing."""
    campaign = _campaign(1, ("Olga",), min_editcount=100, created_by="Carl")
    wikis = {"orwiki": Standing("Odia Wikipedia", False, exists=True, editcount=3)}
    people = [None, actor("Pat"), actor("Bob", blocked=True), actor("Nina", editcount=5), actor("Olga"),
              actor("Carl"), actor("Ada"), actor("Olga").acting(_standing(True)), actor("Olga").acting(_standing(None)),
              actor("Pat").acting(wikis), actor("Pat").acting({})]
    objects = [campaign, _nomination(campaign), _nomination(campaign, nominator="Olga"),
               _nomination(campaign, status=NominationStatus.approved),
               NewCampaign("orwiki", CreationBar()), NewCampaign("orwiki", CreationBar(self_service=False))]
    refusals = []
    for person in people:
        for action in Action:
            for obj in objects:
                try:
                    decision = may(person, action, obj)
                except TypeError:
                    continue  # an action that does not apply to this kind of object
                if not decision:
                    refusals.append(decision)
    return refusals


def test_every_refusal_is_a_sentence_in_every_language_with_all_its_parameters() -> None:
    refusals = _every_refusal()
    # The matrix reaches every rule (the nominate form words one of them for the campaign's wiki itself).
    every = {key for key in json.loads((PROJECT_ROOT / "i18n" / "en.json").read_text("utf-8"))
             if key.startswith("kudos-access-")}
    assert {decision.key for decision in refusals} == every - {"kudos-access-blocked-nominate-on-wiki"}
    for decision in refusals:
        for language in ("en", "or", "he"):
            text = i18n.text(language, decision.key, *decision.params)
            assert text and "⧼" not in text and not re.search(r"\$\d", text), (language, decision.key, text)
        assert decision.reason == i18n.text("en", decision.key, *decision.params)
