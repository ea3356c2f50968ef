"""The one-click consent link carried by every delivered barnstar: `/consent/<token>`.

The token is the nomination id and the recipient's name, signed with the tool's secret key (HMAC-SHA256
through itsdangerous) under a salt used for nothing else. So it is
- unguessable: nobody without the secret can make a valid one, and changing a character breaks it;
- single-purpose: a token signed for another use (a session cookie, a CSRF token) fails here;
- bound to one person: it names the recipient, and the view accepts it only from that signed-in person.
Nothing is stored, so no table or migration is needed and the job can print links for old barnstars.
It does not expire: a barnstar stays on the talk page for years and the recipient may change their mind
at any time (the link only leads to a choice; signing in is still required). Rotating the secret key
revokes every link at once.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadData, URLSafeSerializer

from kudos.config import Config
from kudos.errors import NotFound
from kudos.models import Nomination
from kudos.names import canonical_username

SALT = "kudos.consent-link.v1"


def _serializer(config: Config) -> URLSafeSerializer:
    return URLSafeSerializer(config.secret_key, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256})


def token_for(config: Config, nomination_id: int, recipient: str) -> str:
    return str(_serializer(config).dumps([nomination_id, canonical_username(recipient)]))


def consent_url(config: Config, nomination: Nomination) -> str:
    return f"{config.tool_url}/consent/{token_for(config, nomination.id, nomination.recipient)}"


def verify(config: Config, token: str) -> tuple[int, str]:
    """(nomination id, recipient) from a token we made; NotFound for anything else."""
    invalid = NotFound("kudos-error-consent-link-invalid")
    if len(token) > 1000:
        raise invalid
    try:
        value = _serializer(config).loads(token)
    except (BadData, UnicodeError, ValueError):
        raise invalid from None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or isinstance(value[0], bool) or not isinstance(value[1], str)):
        raise invalid
    return value[0], value[1]
