"""The JWT that Special:OAuth/identify returns, built the way MediaWiki's UserStatementProvider builds it,
with optional faults for testing a client's checks."""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt

from .store import Consumer, IdentifyFault, WikiUser

# MediaWiki makes the statement valid for 100 seconds.
LIFETIME = 100


def user_statement(
    user: WikiUser,
    consumer: Consumer,
    issuer: str,
    nonce: str,
    now: int | None = None,
    integer_sub: bool = False,
) -> dict[str, Any]:
    issued = int(time.time()) if now is None else now
    statement: dict[str, Any] = {
        "iss": issuer,
        "aud": consumer.key,
        "exp": issued + LIFETIME,
        "iat": issued,
        # Current MediaWiki sends the central user id as a string (T380270); older releases sent a number,
        # which PyJWT >= 2.10 (and so mwoauth 0.4.0's identify) rejects. integer_sub reproduces the old form.
        "sub": user.sub if integer_sub else str(user.sub),
        "username": user.username,
        "editcount": user.editcount,
        "confirmed_email": user.confirmed_email,
        "email_verified": user.confirmed_email,
        "blocked": user.blocked,
        "registered": user.registered,
        "groups": list(user.groups),
        "rights": list(user.rights),
        "grants": list(consumer.grants),
    }
    if "mwoauth-authonlyprivate" in consumer.grants:
        statement["realname"] = user.realname
        statement["email"] = user.email if user.confirmed_email else ""
    # Echoes the oauth_nonce the identify request was signed with, so a client can detect a replayed answer.
    statement["nonce"] = nonce
    return statement


def apply_fault(statement: dict[str, Any], fault: IdentifyFault) -> dict[str, Any]:
    faulty = dict(statement)
    if fault is IdentifyFault.EXPIRED:
        faulty["iat"] = statement["iat"] - 3 * LIFETIME
        faulty["exp"] = statement["iat"] - 2 * LIFETIME
    elif fault is IdentifyFault.FUTURE:
        faulty["iat"] = statement["iat"] + 3600
        faulty["exp"] = statement["exp"] + 3600
    elif fault is IdentifyFault.WRONG_AUDIENCE:
        faulty["aud"] = "someotherconsumer"
    elif fault is IdentifyFault.WRONG_NONCE:
        faulty["nonce"] = "notthenonceyousent"
    elif fault is IdentifyFault.WRONG_ISSUER:
        faulty["iss"] = "https://evil.example.org"
    return faulty


def _tamper(token: str) -> str:
    # Change a claim but keep the original signature, as an attacker editing the payload would.
    header, payload, signature = token.split(".")
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    altered = claims.replace(b'"editcount":', b'"editcount":1', 1)
    if altered == claims:
        altered = claims + b" "
    encoded = base64.urlsafe_b64encode(altered).rstrip(b"=").decode("ascii")
    return f"{header}.{encoded}.{signature}"


def identify_jwt(
    user: WikiUser,
    consumer: Consumer,
    issuer: str,
    nonce: str,
    fault: IdentifyFault = IdentifyFault.NONE,
    integer_sub: bool = False,
) -> str:
    statement = apply_fault(user_statement(user, consumer, issuer, nonce, integer_sub=integer_sub), fault)
    token = jwt.encode(statement, consumer.secret, algorithm="HS256")
    if fault is IdentifyFault.BAD_SIGNATURE:
        token = _tamper(token)
    return token
