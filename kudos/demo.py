"""Demo data for `make run`: two wikis' community campaigns, an event with organizers, and nominations
in every state, so a first look at the tool shows what it does."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kudos import campaigns, nominations, people
from kudos.clock import utcnow
from kudos.config import Config
from kudos.errors import DomainError
from kudos.models import CampaignKind, Consent, DeliveryStatus, MemberRole, Nomination

DEMO_ORGANIZERS = ("Demo Organizer", "Sailesh")


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Nomination))


def seed(session: Session, config: Config) -> list[str]:
    if len(config.wikis) < 1:
        raise DomainError("kudos-error-demo-no-wiki")
    now = utcnow()
    wikis = list(config.wikis)
    main_wiki = "orwiki" if "orwiki" in config.wikis else wikis[0]
    other_wiki = next((w for w in wikis if w != main_wiki), main_wiki)
    report = [f"community campaign for {c.wiki}" for c in campaigns.ensure_community_campaigns(session, config)]

    event = campaigns.create(
        session, config, slug="workshop-demo", name="Odia Wikipedia workshop (demo)", wiki=main_wiki,
        actor="Kudos", kind=CampaignKind.workshop, starts=now - timedelta(days=10), ends=now + timedelta(days=20),
        organizers=list(DEMO_ORGANIZERS), description="A workshop whose participants deserve a thank-you.",
    )
    campaigns.add_member(session, event, "Trusted Nominator", MemberRole.trusted, "Kudos")
    community = campaigns.get(session, campaigns.community_slug(other_wiki))
    campaigns.add_member(session, community, "Demo Organizer", MemberRole.organizer, "Kudos")
    people.set_consent(session, "Subhashish", Consent.granted)
    people.set_consent(session, "Ananya", Consent.refused)

    def nominate(campaign, nominator, recipient, message, days_ago):
        return nominations.nominate(
            session, config, campaign=campaign, nominator=nominator, recipient=recipient, award="barnstar",
            message=message, link="Main Page", now=now - timedelta(days=days_ago))

    nominate(event, "Demo User", "Priyanka", "Wrote her first three articles on Odia poets during the workshop.", 2)
    nominate(community, "Demo User", "Kiran", "Patiently fixed citation templates across hundreds of pages.", 1)
    delivered = nominate(event, "Demo User", "Subhashish", "Taught everyone how to upload photos to Commons.", 6)
    nominations.approve(session, config, delivered, "Sailesh", now=now - timedelta(days=5))
    for delivery in delivered.deliveries:
        if delivery.status == DeliveryStatus.pending:
            delivery.status, delivery.done_at = DeliveryStatus.done, now - timedelta(days=5)
    anonymous = nominate(event, "Demo User", "Ananya", "Translated the workshop handbook into Odia overnight.", 5)
    nominations.approve(session, config, anonymous, "Sailesh", now=now - timedelta(days=4))
    for delivery in anonymous.deliveries:
        if delivery.status == DeliveryStatus.pending:
            delivery.status, delivery.done_at = DeliveryStatus.done, now - timedelta(days=4)
    waiting = nominate(event, "Priyanka", "Rohit", "Organised the photo walk and uploaded forty pictures.", 3)
    nominations.approve(session, config, waiting, "Demo Organizer", now=now - timedelta(days=1))
    rejected = nominate(event, "Kiran", "Demo User", "Great work all round, thanks!!", 4)
    nominations.reject(session, rejected, "Sailesh", "Please say what the work was, so the thanks means something.")
    withdrawn = nominate(community, "Priyanka", "Rohit", "Helped me with my first edit on the village pump.", 3)
    nominations.withdraw(session, withdrawn, "Priyanka")
    session.flush()
    report.append("event campaign workshop-demo with organizers " + ", ".join(DEMO_ORGANIZERS))
    report.append("7 nominations: 2 pending, 3 approved (2 delivered), 1 rejected, 1 withdrawn")
    return report
