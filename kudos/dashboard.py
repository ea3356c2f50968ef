"""The organizer's home: for each campaign a person organizes, the figures that say what needs doing now.

One statement answers for every campaign at once: the campaigns are the rows and each figure is a scalar
subquery bound to the row's campaign, so the page costs the same number of round trips for one campaign as
for thirty. Each subquery is answered from an index that starts with the campaign's id: the review queue's
(campaign, status, created) for the waiting nominations, the wall's (campaign, channel, status, id) for the
deliveries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ScalarSelect, Select, bindparam, func, select
from sqlalchemy.orm import Session

from kudos.models import (
    Campaign,
    CampaignKind,
    CampaignMember,
    Delivery,
    DeliveryStatus,
    MemberRole,
    Nomination,
    NominationStatus,
)
from kudos.outbox import TALKPAGE

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class CampaignStatus:
    id: int
    slug: str
    name: str
    wiki: str
    language: str | None  # of the campaign's name
    kind: CampaignKind
    starts: datetime | None
    ends: datetime | None
    closed_at: datetime | None
    waiting: int  # nominations waiting for review
    oldest_waiting: datetime | None  # when the longest-waiting of them was made
    delivered_week: int  # barnstars posted on talk pages in the last seven days
    skipped: int  # barnstars not posted, for a reason the deliveries page gives
    failed: int  # deliveries on any channel that gave up; an organizer can retry them
    # Social posts held until their recipients answer whether they may be named on social networks. Posts, not
    # people: counted from the index alone, where telling the people apart reads every post's nomination.
    awaiting_consent: int

    def is_open(self, at: datetime) -> bool:
        return (self.closed_at is None and (self.starts is None or self.starts <= at)
                and (self.ends is None or at <= self.ends))


def _count_deliveries(channels: str, status: DeliveryStatus) -> ScalarSelect[int]:
    return (select(func.count()).select_from(Delivery)
            .where(Delivery.campaign_id == Campaign.id, Delivery.channel.in_(bindparam(channels, expanding=True)),
                   Delivery.status == status)
            .scalar_subquery())


def _statement() -> Select[Any]:
    pending = (Nomination.campaign_id == Campaign.id, Nomination.status == NominationStatus.pending)
    waiting = select(func.count()).select_from(Nomination).where(*pending).scalar_subquery()
    oldest = select(func.min(Nomination.created_at)).where(*pending).scalar_subquery()
    delivered = (select(func.count()).select_from(Delivery)
                 .where(Delivery.campaign_id == Campaign.id, Delivery.channel == TALKPAGE,
                        Delivery.status == DeliveryStatus.done, Delivery.done_at >= bindparam("since"))
                 .scalar_subquery())
    mine = select(CampaignMember.campaign_id).where(CampaignMember.username == bindparam("username"),
                                                    CampaignMember.role == MemberRole.organizer)
    return (select(Campaign.id, Campaign.slug, Campaign.name, Campaign.wiki, Campaign.language, Campaign.kind,
                   Campaign.starts, Campaign.ends, Campaign.closed_at, waiting, oldest, delivered,
                   _count_deliveries("talkpage", DeliveryStatus.skipped),
                   _count_deliveries("failing", DeliveryStatus.failed),
                   _count_deliveries("social", DeliveryStatus.awaiting_consent))
            .where(Campaign.id.in_(mine))
            .order_by(Campaign.created_at.desc(), Campaign.id.desc()))


# Built once per process: only the parameters change from page to page.
_ORGANIZED = _statement()


def organized(session: Session, username: str, social_channels: Iterable[str], now: datetime) -> list[CampaignStatus]:
    """The campaigns `username` organizes, newest first, each with its figures (one query).

    `social_channels` are the configured social channels: naming them lets every delivery figure be read
    from the index in ranges, where "any channel but the talk page" would scan all of a campaign's rows.
    """
    social = sorted(set(social_channels))
    rows = session.execute(_ORGANIZED, {"username": username, "since": now - WEEK, "social": social,
                                        "talkpage": [TALKPAGE], "failing": [TALKPAGE, *social]})
    return [CampaignStatus(*row) for row in rows]
