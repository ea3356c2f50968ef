"""The nomination rate limit's configuration."""

from __future__ import annotations

import pytest

from kudos.errors import ConfigError
from kudos.web import create_app
from kudos.web.ratelimit import DEFAULT_PER_DAY, nominations_per_day
from tests.support import make_config


def test_default_and_configured_limits() -> None:
    assert nominations_per_day(make_config()) == DEFAULT_PER_DAY
    assert nominations_per_day(make_config(ratelimit={"nominations_per_day": 5})) == 5


@pytest.mark.parametrize("bad", [0, -1, "ten", True, 2.5])
def test_a_bad_limit_stops_the_start_with_a_sentence(bad: object) -> None:
    with pytest.raises(ConfigError, match="ratelimit.nominations_per_day"):
        create_app(make_config(ratelimit={"nominations_per_day": bad}))


def test_each_app_counts_on_its_own_in_memory() -> None:
    first, second = create_app(make_config()), create_app(make_config())
    assert first.extensions["kudos.limiter"] is not second.extensions["kudos.limiter"]
