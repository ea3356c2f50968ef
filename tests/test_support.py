"""README: under CI=true a test whose real component is missing fails instead of skipping."""

from __future__ import annotations

import pytest

from tests import support


def test_a_missing_component_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="MariaDB is required in CI but is not available"):
        support.need(False, "MariaDB")
    monkeypatch.setattr(support, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="MariaDB is not available"):
        support.need(False, "MariaDB")
    support.need(True, "MariaDB")  # present: the test goes on

