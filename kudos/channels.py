"""The contract between the delivery job and the channels it delivers to (talk page, social networks).

A channel either returns `Posted`, or raises one of the outcomes below; the job turns each outcome
into the delivery's next state. Keeping the outcomes here lets the job, the talk-page channel and the
social channels agree without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

# Why a wiki's lane waits, as organizers read it on the deliveries page (kudos-lane-waiting-<kind>).
PAUSE_KINDS = ("readonly", "lagged", "unreachable", "failing", "login", "refused")


@dataclass(frozen=True)
class Posted:
    """Where the delivery landed: a revision id and diff URL, a status id and its URL …"""

    external_id: str
    url: str


class DeliveryOutcome(Exception):  # noqa: N818 - these are outcomes, not only errors
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Skip(DeliveryOutcome):
    """Never deliver this one (recipient opted out, {{nobots}}, no such user …); `reason` is shown to people."""


class RetryLater(DeliveryOutcome):
    """A temporary failure (read-only wiki, maxlag, 5xx, 429). `after` is the server's requested wait.

    `pause` names a failure of the wiki as a whole (one of PAUSE_KINDS) rather than of this delivery: the
    wiki's lane waits, and the delivery is not charged an attempt for it (kudos.claims.record).
    """

    def __init__(self, reason: str, after: float | None = None, pause: str | None = None) -> None:
        super().__init__(reason)
        self.after = after
        self.pause = pause


class Uncertain(RetryLater):
    """The request went out but no answer came back: before sending again, `find(key)` must be asked."""


class Permanent(DeliveryOutcome):
    """A failure that retrying cannot fix (bad credentials, rejected content): the delivery fails now."""
