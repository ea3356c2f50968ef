"""The data model (DESIGN §3). Behaviour lives in the rule modules; these classes only hold rows."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from kudos.clock import utcnow

# MariaDB: utf8mb4 for every script, binary collation because MediaWiki user names are case-sensitive
# after their first letter.
TABLE_ARGS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin", "mysql_engine": "InnoDB"}
NAME = 255  # MediaWiki user names and page titles are at most 255 bytes
# Microseconds on MariaDB too (its DATETIME keeps whole seconds by default): edit slots can be 0.2 s apart.
PRECISE_TIME = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class NominationStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    claimed = "claimed"
    done = "done"
    skipped = "skipped"
    failed = "failed"
    awaiting_consent = "awaiting_consent"


class Consent(enum.StrEnum):
    unknown = "unknown"
    granted = "granted"
    refused = "refused"


class CampaignKind(enum.StrEnum):
    community = "community"
    event = "event"
    workshop = "workshop"


class MemberRole(enum.StrEnum):
    organizer = "organizer"
    trusted = "trusted"  # nominations by a trusted nominator are approved on submission


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    # Stored as short strings (not a native ENUM) so adding a state needs no ALTER on MariaDB.
    return Enum(kind, name=name, native_enum=False, length=20, validate_strings=True,
                values_callable=lambda members: [m.value for m in members])


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = TABLE_ARGS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    wiki: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[CampaignKind] = mapped_column(_enum(CampaignKind, "campaign_kind"))
    description: Mapped[str] = mapped_column(Text, default="")
    starts: Mapped[datetime | None] = mapped_column(DateTime)
    ends: Mapped[datetime | None] = mapped_column(DateTime)
    default_award: Mapped[str | None] = mapped_column(String(64))
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_editcount: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[str | None] = mapped_column(String(NAME))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The bar for praise suggestions (kudos.suggestions): Growth's defaults, each a campaign setting.
    suggest_min_edits: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    suggest_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    suggest_max_edits: Mapped[int] = mapped_column(Integer, default=500, server_default="500")
    suggest_snooze_days: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    suggest_newcomer_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")  # 0: participants only
    # The awards nominators may choose, a subset of the wiki's catalogue; None offers the whole catalogue.
    awards: Mapped[list[str] | None] = mapped_column(JSON)
    # The event's page: a CampaignEvents registration page or a Dashboard course (kudos.participants reads it).
    event_url: Mapped[str | None] = mapped_column(String(500))
    # Closed early by an organizer: no new nominations; review and deliveries go on.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    members: Mapped[list[CampaignMember]] = relationship(back_populates="campaign", cascade="all, delete-orphan")

    def is_open(self, at: datetime) -> bool:
        return (self.closed_at is None and (self.starts is None or self.starts <= at)
                and (self.ends is None or at <= self.ends))

    def usernames(self, role: MemberRole) -> set[str]:
        return {m.username for m in self.members if m.role == role}

    @property
    def organizers(self) -> set[str]:
        return self.usernames(MemberRole.organizer)


class CampaignMember(Base):
    __tablename__ = "campaign_member"
    __table_args__ = TABLE_ARGS

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    role: Mapped[MemberRole] = mapped_column(_enum(MemberRole, "member_role"), primary_key=True)
    added_by: Mapped[str | None] = mapped_column(String(NAME))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="members")


class Person(Base):
    """What Kudos knows of a Wikimedian as a recipient: consent to social sharing and opt-out."""

    __tablename__ = "person"
    __table_args__ = TABLE_ARGS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(NAME), unique=True)
    central_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    consent: Mapped[Consent] = mapped_column(_enum(Consent, "consent"), default=Consent.unknown)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    accounts: Mapped[list[WikiAccount]] = relationship(back_populates="person", cascade="all, delete-orphan")


class WikiAccount(Base):
    """A Person's account on one wiki, by its local user id, so a renamed recipient is found again.

    The local id is what every wiki has: MediaWiki reports it as `userid` (and as `centralids.local`
    where no CentralAuth is installed). A rename keeps it, including a global rename on Wikimedia wikis,
    so one `list=users&ususerids=` request finds the current names of a whole batch. The CentralAuth id,
    where a wiki has one, is the same on every wiki and lives on `Person.central_id`.
    """

    __tablename__ = "wiki_account"
    __table_args__ = (UniqueConstraint("wiki", "user_id"), TABLE_ARGS)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    wiki: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    person: Mapped[Person] = relationship(back_populates="accounts")


# A nomination approved on submission because the campaign trusts its nominator has "trusted:<nominator>"
# as its reviewer (kudos.nominations.auto_approve).
TRUSTED_PREFIX = "trusted:"


class Nomination(Base):
    __tablename__ = "nomination"
    __table_args__ = (
        Index("ix_nomination_campaign_status_created", "campaign_id", "status", "created_at"),
        Index("ix_nomination_status_created", "status", "created_at"),
        TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    wiki: Mapped[str] = mapped_column(String(64))
    nominator: Mapped[str] = mapped_column(String(NAME), index=True)
    recipient: Mapped[str] = mapped_column(String(NAME), index=True)
    award: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    original_message: Mapped[str | None] = mapped_column(Text)  # set when an organizer edited the message
    link: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[NominationStatus] = mapped_column(
        _enum(NominationStatus, "nomination_status"), default=NominationStatus.pending)
    reviewer: Mapped[str | None] = mapped_column(String(NAME))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Holds "campaign:nominator:recipient" while pending and NULL afterwards: a unique index on it makes
    # the database itself refuse a second identical pending nomination, even from a concurrent request.
    pending_key: Mapped[str | None] = mapped_column(String(600), unique=True)

    campaign: Mapped[Campaign] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="nomination", order_by="Delivery.id")


class Delivery(Base):
    """One channel's copy of an approved nomination: the outbox row the delivery job works from."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("nomination_id", "channel"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
        # The wall and feeds read done wall deliveries newest first: this index serves them in order.
        Index("ix_delivery_channel_status_id", "channel", "status", "id"),
        # …and a campaign's wall and feed the same, one campaign at a time (the index also serves the foreign key).
        Index("ix_delivery_campaign_channel_status_id", "campaign_id", "channel", "status", "id"),
        # The dashboard's barnstars of the last week: a range of each campaign's posted talk-page deliveries.
        Index("ix_delivery_campaign_channel_status_done", "campaign_id", "channel", "status", "done_at"),
        TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id"))
    # The nomination's campaign, copied (a nomination never changes campaign) so that a campaign's wall
    # needs no join to find its rows in order.
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    channel: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus, "delivery_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # idempotency key and on-wiki marker
    external_id: Mapped[str | None] = mapped_column(String(255))
    external_url: Mapped[str | None] = mapped_column(String(1000))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)

    nomination: Mapped[Nomination] = relationship(back_populates="deliveries")
    campaign: Mapped[Campaign] = relationship()


class WikiLane(Base):
    """One wiki's talk-page lane, shared by every job replica (kudos.lanes).

    The replica named in `holder` posts to the wiki until `lease_until`; no edit goes out before
    `next_edit_at`, which each edit moves one throttle interval on, and a pause moves further. While the
    wiki is read-only, lagged or unreachable, `paused_kind` says which (for organizers) since `paused_since`.
    """

    __tablename__ = "wiki_lane"
    __table_args__ = TABLE_ARGS

    wiki: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(PRECISE_TIME)
    next_edit_at: Mapped[datetime] = mapped_column(PRECISE_TIME)
    paused_kind: Mapped[str | None] = mapped_column(String(20))
    paused_reason: Mapped[str | None] = mapped_column(Text)
    paused_since: Mapped[datetime | None] = mapped_column(DateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # wiki-wide failures in a row: the pause's backoff


class AuditEvent(Base):
    """Append-only record of every state change: who did what to which object, and when."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"), TABLE_ARGS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(NAME))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text, default="{}")

    subjects: Mapped[list[AuditSubject]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    @property
    def data(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.details or "{}")
        return loaded


class AuditSubject(Base):
    """Who an audit event is about, and in what role (kudos.audit): one row per person and role.

    `role` is `actor`, `person` (the event's object is their Person row), `nominator`, `recipient` or
    `reviewer` (of the nomination the event is about), or `details.<key>` (that detail identifies them).
    Found by exact canonical name through its index, so a person's rows never depend on text search.
    """

    __tablename__ = "audit_subject"
    __table_args__ = (Index("ix_audit_subject_name", "name"), TABLE_ARGS)

    event_id: Mapped[int] = mapped_column(ForeignKey("audit_event.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    role: Mapped[str] = mapped_column(String(64), primary_key=True)


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("Audit events are append-only; they are never changed or deleted.")


class ParticipantSource(enum.StrEnum):
    paste = "paste"
    csv = "csv"
    dashboard = "dashboard"  # a Programs & Events Dashboard course
    campaignevents = "campaignevents"  # a CampaignEvents event registration


class Participant(Base):
    """Someone who took part in a campaign (workshop attendee, event registrant), named by an organizer."""

    __tablename__ = "participant"
    __table_args__ = (Index("ix_participant_username", "username"), TABLE_ARGS)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    source: Mapped[ParticipantSource] = mapped_column(_enum(ParticipantSource, "participant_source"))
    added_by: Mapped[str | None] = mapped_column(String(NAME))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Hidden participants (staff, people who asked to be left out) are kept, so a re-import does not bring
    # them back, but appear in neither the follow-up list nor the report.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class ContribDay(Base):
    """How many edits a user made on a wiki on one UTC day, as `list=usercontribs` reported them."""

    __tablename__ = "contrib_day"
    __table_args__ = TABLE_ARGS

    wiki: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    edits: Mapped[int] = mapped_column(Integer, default=0)


class ContribCursor(Base):
    """The span of time whose contributions are stored for a user: [since, until], both inclusive."""

    __tablename__ = "contrib_cursor"
    __table_args__ = TABLE_ARGS

    wiki: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    since: Mapped[datetime] = mapped_column(DateTime)
    until: Mapped[datetime] = mapped_column(DateTime)


class RetentionSnapshot(Base):
    """A campaign's retention figures as computed by the job after a contribution refresh, so that the report
    page reads a few numbers instead of counting thousands of participants on every view."""

    __tablename__ = "retention_snapshot"
    __table_args__ = TABLE_ARGS

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime)
    cells: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class WebSession(Base):
    """A browser's session, kept on the server so that signing out, erasure or an expiry ends it for good.

    The browser holds only a random id (signed, in the `kudos_session` cookie); the row is found by the
    id's SHA-256, so a copy of the table cannot be replayed as cookies.
    """

    __tablename__ = "web_session"
    __table_args__ = TABLE_ARGS

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str | None] = mapped_column(String(NAME), index=True)  # None before sign-in
    data: Mapped[str] = mapped_column(Text)  # the session's keys, as Flask's tagged JSON
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Allowance(Base):
    """How much of a daily allowance (kudos.allowance) one person has used on one UTC day.

    The person is a keyed hash of their user name, not the name: the row only has to tell people apart.
    """

    __tablename__ = "allowance"
    __table_args__ = TABLE_ARGS

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class Suggestion(Base):
    """Someone the delivery job found praiseworthy for a campaign (kudos.suggestions), and what organizers
    decided about them.

    Found by the account's local id, which a rename keeps. The figures and the notable edits are what the
    suggestions page shows and nothing more; they are blanked as soon as the person stops being a
    suggestion, and the row itself goes unless it still records a decision or what the report counts.
    """

    __tablename__ = "suggestion"
    __table_args__ = (Index("ix_suggestion_username", "username"), TABLE_ARGS)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    username: Mapped[str] = mapped_column(String(NAME))
    source: Mapped[str] = mapped_column(String(20))  # participant | newcomer
    registered: Mapped[datetime | None] = mapped_column(DateTime)
    editcount: Mapped[int | None] = mapped_column(Integer)
    days: Mapped[int | None] = mapped_column(Integer)  # the window the figures cover
    edits: Mapped[int | None] = mapped_column(Integer)  # in the window, reverted ones not counted
    pages: Mapped[int | None] = mapped_column(Integer)
    bytes_added: Mapped[int | None] = mapped_column(Integer)
    reverted: Mapped[int | None] = mapped_column(Integer)
    notable: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    thanks_received: Mapped[int | None] = mapped_column(Integer)  # GrowthExperiments, where a wiki has it
    streak_days: Mapped[int | None] = mapped_column(Integer)
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime)
    eligible_since: Mapped[datetime | None] = mapped_column(DateTime)  # None: not a suggestion now
    shown_at: Mapped[datetime | None] = mapped_column(DateTime)  # first shown to an organizer
    snoozed_until: Mapped[datetime | None] = mapped_column(DateTime)
    snoozed_by: Mapped[str | None] = mapped_column(String(NAME))
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime)  # "not for this campaign"
    dismissed_by: Mapped[str | None] = mapped_column(String(NAME))
    thanked_at: Mapped[datetime | None] = mapped_column(DateTime)  # nominated from the suggestions page
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nomination.id", ondelete="SET NULL"))


class WallVersion(Base):
    """The version of what the public wall shows (kudos.wall_version): one row, id 1."""

    __tablename__ = "wall_version"
    __table_args__ = TABLE_ARGS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # Unix seconds, a second later at least with every version: the feeds' Last-Modified.
    modified: Mapped[int] = mapped_column(BigInteger, default=0)


class FiguresVersion(Base):
    """How often what a campaign's dashboard figures are counted from has changed (kudos.figures_version).
    No foreign key: a row outlives its campaign, so a later campaign given the same id starts past it."""

    __tablename__ = "figures_version"
    __table_args__ = TABLE_ARGS

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
