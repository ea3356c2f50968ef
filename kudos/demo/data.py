"""Demo data for `make run` (`flask seed-demo`): every page has something to show.

- A workshop on the Odia wiki that ended four months ago, with its participants, who was thanked, and
  stored contribution counts per day (what the delivery job would have fetched), so the report compares
  retention, draws its chart and lists whom to follow up.
- An Odia-language campaign (a photo walk) and both wikis' community campaigns, open for nominations.
- Nominations in every state. The approved ones of the open campaigns wait for the delivery job: on the
  local wikis it posts one barnstar, follows a renamed recipient's talk-page redirect, respects a
  {{nobots}}, and leaves a social shout-out waiting for the recipient's consent.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kudos import bulk, campaigns, nominations, participants, people, report
from kudos.clock import utcnow
from kudos.config import Config
from kudos.demo import cast
from kudos.demo.directory import ACCOUNT_IDS
from kudos.errors import DomainError
from kudos.models import (
    Campaign,
    CampaignKind,
    Consent,
    ContribCursor,
    ContribDay,
    DeliveryStatus,
    MemberRole,
    Nomination,
    ParticipantSource,
    Suggestion,
)
from kudos.suggestions import decisions as suggestion_decisions
from kudos.suggestions import refresh as suggestion_refresh
from kudos.suggestions.wiki import Account, Edit

WORKSHOP_DAYS = 4
WORKSHOP_ENDED_DAYS_AGO = 120  # long enough for the 90-day retention window to be over
PHOTO_WALK = "odia-photo-walk"
WORKSHOP = "workshop-demo"
THANKS = {
    "Subhashish": "Taught everyone how to upload photos to Commons.",
    "Ananya": "Translated the workshop handbook into Odia overnight.",
    "Priyanka": "Wrote her first three articles on Odia poets during the workshop.",
    "Kiran": "Patiently fixed citation templates on every workshop article.",
    "Meera": "Added sources to the article on Pattachitra painting.",
    "Hari": "Helped the newcomers find their way around the wiki.",
}


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Nomination))


def seed(session: Session, config: Config) -> list[str]:
    if len(config.wikis) < 1:
        raise DomainError("kudos-error-demo-no-wiki")
    now = utcnow().replace(microsecond=0)
    wikis = list(config.wikis)
    odia = "orwiki" if "orwiki" in config.wikis else wikis[0]
    english = "enwiki" if "enwiki" in config.wikis else wikis[-1]
    lines = [f"community campaign for {c.wiki}" for c in campaigns.ensure_community_campaigns(session, config)]
    community = campaigns.get(session, campaigns.community_slug(english))
    campaigns.add_member(session, community, cast.ORGANIZER, MemberRole.organizer, "Kudos")
    lines.append(_workshop(session, config, odia, now))
    lines.append(_photo_walk(session, config, odia, now))
    lines.append(_suggestions(session, config, campaigns.get(session, PHOTO_WALK), now))
    lines.append(_community(session, config, community, now))
    session.flush()
    lines.append(f"retention figures of {report.store_snapshots(session, now)} campaign(s)")
    return lines


def _workshop(session: Session, config: Config, wiki: str, now: datetime) -> str:
    """The finished workshop: participants, who was thanked during it, and what everyone edited since."""
    ends = now - timedelta(days=WORKSHOP_ENDED_DAYS_AGO)
    starts = ends - timedelta(days=WORKSHOP_DAYS)
    event = campaigns.create(
        session, config, slug=WORKSHOP, name="Odia Wikipedia workshop (demo)", wiki=wiki, actor="Kudos",
        kind=CampaignKind.workshop, starts=starts, ends=ends, organizers=list(cast.ORGANIZERS),
        description="A four-day workshop for new editors; who has been thanked, and who is still editing?")
    campaigns.add_member(session, event, cast.TRUSTED, MemberRole.trusted, "Kudos")
    participants.add(session, event, list(cast.PARTICIPANTS), ParticipantSource.paste, cast.ORGANIZER)
    people.set_consent(session, "Subhashish", Consent.granted)
    people.set_consent(session, "Ananya", Consent.refused)
    for index, (recipient, message) in enumerate(THANKS.items()):
        created = starts + timedelta(hours=6 + 9 * index)
        nomination = nominations.nominate(
            session, config, campaign=event, nominator=cast.NOMINATOR if index % 2 else cast.TRUSTED,
            recipient=recipient, award="barnstar", message=message, now=created)
        reviewed = created + timedelta(hours=2 + index)
        nominations.approve(session, config, nomination, cast.ORGANIZERS[index % 2], now=reviewed)
        for delivery in nomination.deliveries:  # delivered back then: the barnstars are history now
            delivery.status, delivery.done_at = DeliveryStatus.done, reviewed + timedelta(minutes=3 + index)
    # One barnstar the job did not post back then, with its reason (what the job writes for a blocked user).
    blocked = nominations.nominate(session, config, campaign=event, nominator=cast.NOMINATOR, recipient=cast.BLOCKED,
                                   award="barnstar", message="Cleaned up the workshop's sandbox pages.",
                                   now=starts + timedelta(hours=30))
    nominations.approve(session, config, blocked, cast.ORGANIZER, now=starts + timedelta(hours=31))
    reason = f"The user {cast.BLOCKED} is blocked."
    for delivery in blocked.deliveries:
        delivery.status = DeliveryStatus.skipped
        delivery.last_error = reason if delivery.channel == "talkpage" else f"The barnstar was not posted: {reason}"
    _contributions(session, wiki, starts, ends.date(), now)
    return (f"workshop {WORKSHOP} (ended {WORKSHOP_ENDED_DAYS_AGO} days ago): {len(cast.PARTICIPANTS)} participants, "
            f"{len(THANKS)} thanked, their contributions since, one barnstar not posted")


def _contributions(session: Session, wiki: str, starts: datetime, end_day: date, now: datetime) -> None:
    """Edits per day as the job stores them: some during the workshop, then the active days the cast gives
    for days 1–30 and 61–90 after it, and a few in between."""
    rng = random.Random(2026)
    for name, (first_month, third_month) in cast.PARTICIPANTS.items():
        days = {starts.date() + timedelta(days=rng.randrange(WORKSHOP_DAYS)) for _ in range(3)}
        days |= {end_day + timedelta(days=d) for d in rng.sample(range(1, 31), first_month)}
        days |= {end_day + timedelta(days=d) for d in rng.sample(range(31, 61), min(first_month, third_month))}
        days |= {end_day + timedelta(days=d) for d in rng.sample(range(61, 91), third_month)}
        session.add_all(ContribDay(wiki=wiki, username=name, day=day, edits=rng.randint(1, 9)) for day in days)
        session.add(ContribCursor(wiki=wiki, username=name, since=starts, until=now))


def _photo_walk(session: Session, config: Config, wiki: str, now: datetime) -> str:
    """The Odia-language campaign: barnstars for the delivery job to post, follow or leave alone."""
    walk = campaigns.create(
        session, config, slug=PHOTO_WALK, name="କୋଣାର୍କ ଫଟୋ ୱାକ (ଡେମୋ)", wiki=wiki, actor="Kudos",
        starts=now - timedelta(days=3), ends=now + timedelta(days=27), organizers=list(cast.ORGANIZERS),
        channels=[c for c in (cast.SOCIAL_CHANNEL,) if c in config.channels],
        description="କୋଣାର୍କ ମନ୍ଦିରର ଫଟୋ ଉଠାଇ ଉଇକିମିଡ଼ିଆ କମନ୍ସରେ ଅପଲୋଡ଼ କରିବା।")

    def approved(recipient: str, message: str, hours_ago: int) -> Nomination:
        nomination = nominations.nominate(
            session, config, campaign=walk, nominator=cast.NOMINATOR, recipient=recipient, award="teamwork",
            message=message, now=now - timedelta(hours=hours_ago))
        return nominations.approve(session, config, nomination, "Sailesh", now=now - timedelta(hours=hours_ago - 1))

    approved(cast.RENAMED_FROM, "Photographed every carving on the temple's east wall.", 30)
    approved(cast.NOBOTS, "Organised the photo walk and led the group round the temple.", 28)
    approved("Meera", "Uploaded forty photos of the Sun Temple, each with a description in Odia.", 26)
    nominations.nominate(session, config, campaign=walk, nominator="Priyanka", recipient="Jyoti",
                         award="barnstar", message="Found the best light for the temple photos at sunrise.",
                         now=now - timedelta(hours=5))
    return f"Odia-language campaign {PHOTO_WALK}: 3 approved nominations for the delivery job, 1 pending"


def _suggestions(session: Session, config: Config, walk: Campaign, now: datetime) -> str:
    """What the delivery job finds on the Odia wiki for the photo walk (the demo's wiki holds the same edits,
    kudos.demo.wikis): walkers who kept editing and a newcomer; one thanked from a suggestion, one snoozed,
    one set aside."""
    participants.add(session, walk, [w for w in cast.WALKERS if w != cast.NEWCOMER], ParticipantSource.paste,
                     cast.ORGANIZER)
    sizes: dict[str, int] = {}
    edits: dict[str, list[Edit]] = {}
    for number, made in enumerate(cast.walkers_edits()):
        size = len(made.text.encode())
        before = sizes.get(made.title, len(cast.page_start(made.title).encode()))
        sizes[made.title] = size
        edits.setdefault(made.user, []).append(Edit(
            revid=9000 + number, title=made.title, ns=0, timestamp=now - timedelta(hours=made.hours_ago),
            sizediff=size - before, comment=made.summary, new=False, reverted=made.reverted, viewable=True))
    found: suggestion_refresh.Assessed = {}
    for user, theirs in edits.items():
        account = Account(user, exists=True, user_id=ACCOUNT_IDS[user], editcount=len(theirs) + 3 * len(user),
                          registered=now - timedelta(days=9 if user == cast.NEWCOMER else 400 + 30 * len(user)))
        source = suggestion_refresh.NEWCOMER if user == cast.NEWCOMER else suggestion_refresh.PARTICIPANT
        found[ACCOUNT_IDS[user]] = (account, source, suggestion_refresh.figures(theirs, now - timedelta(days=7), 7))
    suggestion_refresh.store(session, walk.id, found, {}, now - timedelta(days=2))
    for row in session.scalars(select(Suggestion).where(Suggestion.campaign_id == walk.id)):
        row.shown_at = now - timedelta(hours=40)  # the organizers looked two days ago …
    suggestion_decisions.thank_several(  # … and thanked one of them from there
        session, config, campaign=walk, organizer="Sailesh", award="teamwork", approve=False,
        now=now - timedelta(hours=3),
        picks=[(ACCOUNT_IDS["Suchitra"], "ପୁରୀର ଜଗନ୍ନାଥ ମନ୍ଦିର ପୃଷ୍ଠାରେ ଆପଣଙ୍କ ଯତ୍ନଶୀଳ କାମ ପାଇଁ ଧନ୍ୟବାଦ!")],
        lookup=lambda names: {name: bulk.WikiUser(exists=True) for name in names})
    suggestion_decisions.snooze(session, walk, ACCOUNT_IDS[cast.SNOOZED], "Sailesh", now)
    suggestion_decisions.dismiss(session, walk, ACCOUNT_IDS[cast.SET_ASIDE], cast.ORGANIZER, now)
    return (f"suggestions for {PHOTO_WALK}: {len(found)} people, one thanked from a suggestion, one snoozed, "
            f"one set aside")


def _community(session: Session, config: Config, community: Campaign, now: datetime) -> str:
    def nominate(nominator: str, recipient: str, message: str, hours_ago: int) -> Nomination:
        return nominations.nominate(
            session, config, campaign=community, nominator=nominator, recipient=recipient, award="diligence",
            message=message, now=now - timedelta(hours=hours_ago))

    delivered = nominate(cast.NOMINATOR, "Priyanka", "Rewrote the article on the Mahanadi with a source for "
                                                     "every paragraph.", 50)
    nominations.approve(session, config, delivered, cast.ORGANIZER, now=now - timedelta(hours=49))
    nominate("Kiran", "Bikash", "Welcomed every newcomer on the village pump this month.", 20)
    rejected = nominate("Kiran", cast.NOMINATOR, "Great work all round, thanks!!", 40)
    nominations.reject(session, rejected, cast.ORGANIZER,
                       "Please say what the work was, so the thanks means something.")
    withdrawn = nominate("Priyanka", "Tapas", "Helped me with my first edit.", 30)
    nominations.withdraw(session, withdrawn, "Priyanka")
    return f"community campaign {community.slug}: 1 approved for the delivery job, 1 pending, 1 rejected, 1 withdrawn"
