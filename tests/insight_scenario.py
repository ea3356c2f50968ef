"""A campaign with a known history, used by the report tests (stored counts) and the wiki tests (real edits).

The campaign runs 2026-01-01 … 2026-01-10 18:00 UTC, so the anchor day of the not yet recognised is
2026-01-10: "30 days" looks at 2026-01-11 … 2026-02-09 and "90 days" at 2026-03-12 … 2026-04-10.
Contributions are refreshed up to REFRESHED_AT, so stored data covers every day through 2026-05-30.

Hand-computed retention (the expected figures below):

recognised (R1–R5 approved during the event → anchor 01-10; R6 approved 02-01 → anchor 02-01):
  R1  01-11 (day 1), 03-15 (day 64)          30: yes  90: yes
  R2  02-09 (day 30), 04-10 (day 90)         30: yes  90: yes
  R3  02-10 (day 31), 03-11 (day 60)         30: no   90: no
  R4  01-10 (day 0, the end day itself)      30: no   90: no
  R5  03-12 (day 61)                         30: no   90: yes
  R6  01-20 (before its anchor), 02-02 (day 1 after 02-01)   30: yes  90: no
  → 30 days: 3 of 6; 90 days: 3 of 6
not yet recognised (anchor 01-10):
  N1  01-15                                  30: yes  90: no
  N2  none                                   30: no   90: no
  N3  04-01 (day 81)                         30: no   90: yes
  N4  01-11 ×5, 04-10                        30: yes  90: yes
  N5  02-10 (day 31)                         30: no   90: no
  N6  none                                   30: no   90: no
  Pen 01-20 (has a pending nomination)       30: yes  90: no
  Late — never refreshed                     not yet measurable
  → 30 days: 3 of 7; 90 days: 2 of 7 (8 people, 1 not yet measurable)
Hid (hidden participant, approved, edits) and Outsider (approved, not a participant) are in neither group.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from kudos import nominations, participants, people
from kudos.config import Config
from kudos.models import Campaign, Consent, Delivery, DeliveryStatus, ParticipantSource
from tests.factories import make_campaign

STARTS = datetime(2026, 1, 1)
ENDS = datetime(2026, 1, 10, 18, 0)
REFRESHED_AT = datetime(2026, 5, 31, 10, 0)
ORGANIZER = "Olga Organizer"

RECOGNISED = ["R1", "R2", "R3", "R4", "R5", "R6"]
NOT_RECOGNISED = ["N1", "N2", "N3", "N4", "N5", "N6", "Pen", "Late"]
HIDDEN = "Hid"
OUTSIDER = "Outsider"
NEVER_REFRESHED = "Late"

# user → [(day, edits)]
EDITS: dict[str, list[tuple[date, int]]] = {
    "R1": [(date(2026, 1, 11), 1), (date(2026, 3, 15), 1)],
    "R2": [(date(2026, 2, 9), 1), (date(2026, 4, 10), 1)],
    "R3": [(date(2026, 2, 10), 1), (date(2026, 3, 11), 1)],
    "R4": [(date(2026, 1, 10), 1)],
    "R5": [(date(2026, 3, 12), 1)],
    "R6": [(date(2026, 1, 20), 1), (date(2026, 2, 2), 1)],
    "N1": [(date(2026, 1, 15), 1)],
    "N3": [(date(2026, 4, 1), 1)],
    "N4": [(date(2026, 1, 11), 5), (date(2026, 4, 10), 1)],
    "N5": [(date(2026, 2, 10), 1)],
    "Pen": [(date(2026, 1, 20), 1)],
    "Late": [(date(2026, 1, 12), 2)],
    "Hid": [(date(2026, 1, 11), 1)],
}

# (group, horizon) → (still editing, measurable, people)
EXPECTED = {
    ("recognised", 30): (3, 6, 6),
    ("recognised", 90): (3, 6, 6),
    ("not yet recognised", 30): (3, 7, 8),
    ("not yet recognised", 90): (2, 7, 8),
}
# hours from nomination to approval: R1–R5 10…50, R6 696 (created 01-03, approved 02-01), Hid 5, Outsider 1
APPROVAL_HOURS = {"R1": 10, "R2": 20, "R3": 30, "R4": 40, "R5": 50, "Hid": 5, "Outsider": 1}
# hours from approval to talk-page delivery
DELIVERY_HOURS = {"R1": 2, "R2": 4, "R3": 6}


def name(prefix: str, user: str) -> str:
    return f"{prefix}{user}"


def seed(session: Session, config: Config, prefix: str = "", late: bool = True) -> Campaign:
    """The campaign, its participants and its nominations (no contributions: callers add those).

    `late=False` leaves out the participant who was never refreshed; add them after a refresh instead."""
    campaign = make_campaign(session, config, slug="scenario", starts=STARTS, ends=ENDS,
                             organizers=(ORGANIZER,))
    listed = [name(prefix, u) for u in RECOGNISED + NOT_RECOGNISED + [HIDDEN] if late or u != NEVER_REFRESHED]
    participants.add(session, campaign, listed, ParticipantSource.paste, ORGANIZER)
    participants.set_hidden(session, campaign, name(prefix, HIDDEN), True, ORGANIZER)
    nominated = datetime(2026, 1, 2)
    for user in [*RECOGNISED, HIDDEN, OUTSIDER]:
        created = datetime(2026, 1, 3) if user == "R6" else nominated
        nomination = nominations.nominate(session, config, campaign=campaign, nominator="Nina",
                                          recipient=name(prefix, user), award="barnstar",
                                          message="Thank you for your careful work.", now=created)
        approved = datetime(2026, 2, 1) if user == "R6" else created + timedelta(hours=APPROVAL_HOURS[user])
        nominations.approve(session, config, nomination, ORGANIZER, now=approved)
        talkpage = next(d for d in nomination.deliveries if d.channel == "talkpage")
        if user in DELIVERY_HOURS:
            talkpage.status = DeliveryStatus.done
            talkpage.done_at = approved + timedelta(hours=DELIVERY_HOURS[user])
        elif user in ("R4", "R5"):
            talkpage.status, talkpage.last_error = DeliveryStatus.skipped, "The talk page forbids bots."
        elif user == "R6":
            talkpage.status, talkpage.last_error = DeliveryStatus.failed, "Page protected."
    nominations.nominate(session, config, campaign=campaign, nominator="Nina", recipient=name(prefix, "Pen"),
                         award="barnstar", message="Great photos of the river.", now=datetime(2026, 1, 5))
    rejected = nominations.nominate(session, config, campaign=campaign, nominator="Nina",
                                    recipient=name(prefix, "N2"), award="barnstar",
                                    message="Nice edits to the river article.", now=datetime(2026, 1, 6))
    nominations.reject(session, rejected, ORGANIZER, "Not enough detail.", now=datetime(2026, 1, 7))
    people.set_consent(session, name(prefix, "R1"), Consent.granted)
    people.set_consent(session, name(prefix, "R2"), Consent.granted)
    people.set_consent(session, name(prefix, "R3"), Consent.refused)
    session.flush()
    assert session.query(Delivery).count() == 16  # talk page and wall for 8 approvals
    return campaign
