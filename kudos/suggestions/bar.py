"""The bar a person must meet to be suggested for a campaign, and how often the job looks.

The bar is part of the campaign (columns `suggest_*`, so a campaign settings form can hold them): at least
`min_edits` edits (reverted ones do not count) in the last `days` days, fewer than `max_edits` edits in
all, and, besides the participants, newcomers who registered in the last `newcomer_days` days (0: the
participants only). `snooze_days` is how long *Snooze* hides someone. The defaults are Growth's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kudos import audit
from kudos.config import Config
from kudos.errors import ConfigError, DomainError
from kudos.models import Campaign

# Setting → (lowest, highest). `days` stays within what one refresh can ask the wiki for at a reasonable cost.
LIMITS: dict[str, tuple[int, int]] = {
    "min_edits": (1, 10_000),
    "days": (1, 90),
    "max_edits": (1, 10_000_000),
    "snooze_days": (1, 365),
    "newcomer_days": (0, 90),
}
DEFAULT_INTERVAL = 3600  # seconds between refreshes by the delivery job
DEFAULT_NEWCOMERS = 500  # newest sign-ups looked at per wiki and refresh: one list=logevents request
MAX_NEWCOMERS = 5000


@dataclass(frozen=True)
class Bar:
    min_edits: int = 8
    days: int = 7
    max_edits: int = 500
    snooze_days: int = 10
    newcomer_days: int = 30

    @classmethod
    def of(cls, campaign: Campaign) -> Bar:
        return cls(campaign.suggest_min_edits, campaign.suggest_days, campaign.suggest_max_edits,
                   campaign.suggest_snooze_days, campaign.suggest_newcomer_days)


def check(values: dict[str, Any]) -> dict[str, int]:
    """Whole numbers within LIMITS, or DomainError naming the first setting that is not."""
    checked = {}
    for key, value in values.items():
        if key not in LIMITS:
            raise DomainError("kudos-error-suggestions-unknown-setting", key)
        low, high = LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DomainError("kudos-error-suggestions-setting-range", key, low, high)
        checked[key] = value
    return checked


def update(session: Session, campaign: Campaign, actor: str, **values: Any) -> Bar:
    """Change some of the campaign's settings (audited with the values before and after)."""
    wanted = check(values)
    before = Bar.of(campaign)
    changed = {key: value for key, value in wanted.items() if getattr(before, key) != value}
    for key, value in changed.items():
        setattr(campaign, f"suggest_{key}", value)
    if changed:
        audit.record(session, actor, "campaign.suggestions.settings", campaign,
                     before={key: getattr(before, key) for key in changed}, after=changed)
    return Bar.of(campaign)


@dataclass(frozen=True)
class Options:
    """The tool-wide part, from the configuration's `suggestions` section."""

    interval: float = DEFAULT_INTERVAL
    newcomers_per_wiki: int = DEFAULT_NEWCOMERS
    user_impact_wikis: frozenset[str] = frozenset()  # wikis with GrowthExperiments' user-impact endpoint


def options(config: Config) -> Options:
    section = config.section("suggestions")
    unknown = sorted(set(section) - {"interval", "newcomers_per_wiki", "user_impact_wikis"})
    if unknown:
        raise ConfigError(f"The configuration key “suggestions.{unknown[0]}” is not known; see config.example.yaml.")
    interval = section.get("interval", DEFAULT_INTERVAL)
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 0:
        raise ConfigError("The configuration key “suggestions.interval” must be a number of seconds (0: off).")
    newcomers = section.get("newcomers_per_wiki", DEFAULT_NEWCOMERS)
    if isinstance(newcomers, bool) or not isinstance(newcomers, int) or not 0 <= newcomers <= MAX_NEWCOMERS:
        raise ConfigError(f"The configuration key “suggestions.newcomers_per_wiki” must be a whole number from 0 "
                          f"to {MAX_NEWCOMERS}.")
    wikis = section.get("user_impact_wikis") or []
    if not isinstance(wikis, list) or any(w not in config.wikis for w in wikis):
        raise ConfigError("The configuration key “suggestions.user_impact_wikis” must list configured wiki ids.")
    return Options(float(interval), newcomers, frozenset(wikis))
