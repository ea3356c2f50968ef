"""Small builders for test data, so each test states only what matters to it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from kudos import campaigns, nominations
from kudos.clock import utcnow
from kudos.config import Config
from kudos.models import Campaign, CampaignKind, Nomination


def make_campaign(session: Session, config: Config, slug: str = "workshop", wiki: str = "orwiki",
                  organizers: tuple[str, ...] = ("Olga Organizer",), channels: tuple[str, ...] = (),
                  **kwargs: object) -> Campaign:
    kwargs.setdefault("starts", utcnow() - timedelta(days=1))
    kwargs.setdefault("ends", utcnow() + timedelta(days=30))
    return campaigns.create(session, config, slug=slug, name=f"Campaign {slug}", wiki=wiki, actor="Admin",
                            kind=CampaignKind.event, organizers=list(organizers), channels=list(channels),
                            **kwargs)  # type: ignore[arg-type]


def make_nomination(session: Session, config: Config, campaign: Campaign, nominator: str = "Nina",
                    recipient: str = "Ravi", message: str = "Wrote three fine articles about rivers.",
                    **kwargs: object) -> Nomination:
    return nominations.nominate(session, config, campaign=campaign, nominator=nominator, recipient=recipient,
                                award="barnstar", message=message, link="Mahanadi", **kwargs)  # type: ignore[arg-type]
