"""Consent link tokens: they round-trip, and nothing else passes for one."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeSerializer

from kudos import consent_links
from kudos.errors import NotFound
from tests.support import make_config

CONFIG = make_config()


def test_token_names_the_nomination_and_the_canonical_recipient() -> None:
    token = consent_links.token_for(CONFIG, 42, "ravi_kumar")
    assert consent_links.verify(CONFIG, token) == (42, "Ravi kumar")


def test_consent_url_is_on_the_tool(database) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_campaign, make_nomination

    with database.transaction() as session:
        nomination = make_nomination(session, CONFIG, make_campaign(session, CONFIG))
        url = consent_links.consent_url(CONFIG, nomination)
        assert url.startswith(CONFIG.tool_url + "/consent/")
        assert consent_links.verify(CONFIG, url.rsplit("/", 1)[1]) == (nomination.id, "Ravi")


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
    lambda t: "W1s5OSwiUmF2aSJd" + t[t.index("."):],  # payload swapped for [99,"Ravi"], old signature
    lambda t: "",
    lambda t: "x" * 2000,
    lambda t: "not-a-token",
])
def test_tampered_tokens_are_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    token = consent_links.token_for(CONFIG, 42, "Ravi")
    with pytest.raises(NotFound):
        consent_links.verify(CONFIG, mangle(token))


def test_a_token_signed_with_another_secret_or_for_another_purpose_is_refused() -> None:
    other = make_config(secret_key="another-secret-key-0123456789")
    with pytest.raises(NotFound):
        consent_links.verify(CONFIG, consent_links.token_for(other, 42, "Ravi"))
    same_secret_other_salt = URLSafeSerializer(CONFIG.secret_key, salt="itsdangerous").dumps([42, "Ravi"])
    with pytest.raises(NotFound):
        consent_links.verify(CONFIG, str(same_secret_other_salt))


def test_payloads_of_the_wrong_shape_are_refused_even_when_signed() -> None:
    serializer = consent_links._serializer(CONFIG)
    for payload in ([True, "Ravi"], ["42", "Ravi"], [42], {"id": 42}, [42, 7]):
        with pytest.raises(NotFound):
            consent_links.verify(CONFIG, str(serializer.dumps(payload)))
