"""The development OAuth provider against the real mwoauth client, over HTTP on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

import mwoauth
import pytest
import requests
from requests_oauthlib import OAuth1

from kudos.devoauth.__main__ import parse_user
from tests.servers.oauth_provider import OAuthProvider

UA = "Kudos tests"


def handshaker(provider: OAuthProvider, secret: str | None = None, **kwargs: str) -> mwoauth.Handshaker:
    token = mwoauth.ConsumerToken(provider.consumer_key, secret or provider.consumer_secret)
    return mwoauth.Handshaker(provider.mw_uri, token, user_agent=UA, **kwargs)


def log_in(provider: OAuthProvider, username: str) -> tuple[mwoauth.Handshaker, mwoauth.AccessToken]:
    shaker = handshaker(provider)
    redirect, request_token = shaker.initiate()
    query = provider.authorize(redirect, username)
    assert query is not None
    return shaker, shaker.complete(request_token, query)


def test_full_handshake_identifies_the_user(oauth_provider: OAuthProvider) -> None:
    shaker = handshaker(oauth_provider)
    redirect, request_token = shaker.initiate()

    # mwoauth sends the user to Special:OAuth/authenticate with the request token and consumer key.
    sent = parse_qs(urlsplit(redirect).query)
    assert redirect.startswith(oauth_provider.mw_uri + "?")
    assert sent == {
        "title": ["Special:OAuth/authenticate"],
        "oauth_token": [request_token.key],
        "oauth_consumer_key": [oauth_provider.consumer_key],
    }

    response = oauth_provider.authorize_response(redirect, "Alice")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(oauth_provider.callback_url + "?")
    back = parse_qs(urlsplit(location).query)
    assert back["oauth_token"] == [request_token.key]
    assert len(back["oauth_verifier"][0]) == 32

    access_token = shaker.complete(request_token, urlsplit(location).query)
    assert access_token.key != request_token.key
    identity = shaker.identify(access_token)

    assert identity["username"] == "Alice"
    assert identity["blocked"] is False
    assert identity["editcount"] == 1234
    assert identity["groups"] == ["*", "user", "autoconfirmed", "extendedconfirmed"]
    assert identity["sub"] == "101"
    assert identity["aud"] == oauth_provider.consumer_key
    assert urlsplit(identity["iss"]).netloc == urlsplit(oauth_provider.mw_uri).netloc
    assert identity["exp"] - identity["iat"] == 100
    assert identity["confirmed_email"] is True
    assert identity["grants"] == ["mwoauth-authonly"]


def test_blocked_user_identifies_as_blocked(oauth_provider: OAuthProvider) -> None:
    shaker, access_token = log_in(oauth_provider, "Bob")
    identity = shaker.identify(access_token)
    assert identity["username"] == "Bob"
    assert identity["blocked"] is True


def test_locked_user_gets_mediawiki_json_error(oauth_provider: OAuthProvider) -> None:
    shaker, access_token = log_in(oauth_provider, "Dave")
    with pytest.raises(mwoauth.OAuthException, match="A MediaWiki API error occurred"):
        shaker.identify(access_token)


def test_authorize_page_is_a_plain_self_contained_form(oauth_provider: OAuthProvider) -> None:
    redirect, _request_token = handshaker(oauth_provider).initiate()
    page = requests.get(redirect, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    html = page.text.lower()
    assert "<script" not in html
    assert " src=" not in html and "<link" not in html
    assert 'name="accept"' in html and ">allow<" in html
    assert 'name="cancel"' in html and ">deny<" in html
    for username in ("Alice", "Bob", "Carol"):
        assert f'value="{username.lower()}"' in html


def test_user_who_denies_is_never_sent_back(oauth_provider: OAuthProvider) -> None:
    shaker = handshaker(oauth_provider)
    redirect, request_token = shaker.initiate()
    response = oauth_provider.authorize_response(redirect, "Alice", allow=False)
    # Like MediaWiki: a "you chose not to allow" page, no redirect to the consumer.
    assert response.status_code == 200
    assert "location" not in {name.lower() for name in response.headers}
    assert "chosen not to allow" in response.text
    # The request token is gone, so even a guessed verifier cannot be exchanged.
    forged = f"oauth_token={request_token.key}&oauth_verifier={'0' * 32}"
    with pytest.raises(TypeError):  # the provider's "Error: …", which mwoauth 0.4.0 fails to read (see below)
        shaker.complete(request_token, forged)


def test_deny_redirect_mode_gives_a_callback_without_verifier(oauth_provider: OAuthProvider) -> None:
    shaker = handshaker(oauth_provider)
    redirect, request_token = shaker.initiate()
    with oauth_provider.settings(deny_mode="redirect"):
        query = oauth_provider.authorize(redirect, "Alice", allow=False)
    assert query == f"oauth_token={request_token.key}"
    # What a login callback sees when the user did not approve: mwoauth refuses the query string.
    with pytest.raises(mwoauth.OAuthException, match="lacks token information"):
        shaker.complete(request_token, query)


def test_choice_can_be_sent_as_query_parameters(oauth_provider: OAuthProvider) -> None:
    shaker = handshaker(oauth_provider)
    redirect, request_token = shaker.initiate()
    response = requests.get(redirect + "&username=Carol&accept=1", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    identity = shaker.identify(shaker.complete(request_token, urlsplit(response.headers["Location"]).query))
    assert identity["username"] == "Carol"
    assert identity["groups"] == ["*", "user"]


def test_typed_unknown_username_becomes_a_new_account(oauth_provider: OAuthProvider) -> None:
    shaker = handshaker(oauth_provider)
    redirect, request_token = shaker.initiate()
    query = oauth_provider.authorize(redirect, "newcomer Zed", typed=True)
    assert query is not None
    identity = shaker.identify(shaker.complete(request_token, query))
    assert identity["username"] == "Newcomer Zed"
    assert identity["editcount"] == 0
    assert identity["blocked"] is False


def test_wrong_consumer_secret_is_refused_at_initiate(oauth_provider: OAuthProvider) -> None:
    with pytest.raises(mwoauth.OAuthException, match="Invalid signature"):
        handshaker(oauth_provider, secret="not-the-secret").initiate()


def test_unknown_consumer_is_refused_at_initiate(oauth_provider: OAuthProvider) -> None:
    token = mwoauth.ConsumerToken("ffffffffffffffffffffffffffffffff", oauth_provider.consumer_secret)
    with pytest.raises(mwoauth.OAuthException, match="Invalid consumer"):
        mwoauth.Handshaker(oauth_provider.mw_uri, token, user_agent=UA).initiate()


def test_identify_signed_with_wrong_token_secret_is_refused(oauth_provider: OAuthProvider) -> None:
    shaker, access_token = log_in(oauth_provider, "Alice")
    wrong = mwoauth.AccessToken(access_token.key, "0" * 32)
    with pytest.raises(mwoauth.OAuthException, match="Invalid signature"):
        shaker.identify(wrong)


def test_verifier_works_only_once(oauth_provider: OAuthProvider) -> None:
    shaker = handshaker(oauth_provider)
    redirect, request_token = shaker.initiate()
    query = oauth_provider.authorize(redirect, "Alice")
    assert query is not None
    shaker.complete(request_token, query)
    # The provider answers "Error: ..."; mwoauth 0.4.0's complete() does not check for that and fails with
    # TypeError rather than OAuthException, so a login view must catch both.
    with pytest.raises(TypeError):
        shaker.complete(request_token, query)


def test_replayed_signed_request_is_refused(oauth_provider: OAuthProvider) -> None:
    auth = OAuth1(
        oauth_provider.consumer_key, client_secret=oauth_provider.consumer_secret, callback_uri="oob"
    )
    prepared = requests.Request(
        "POST", oauth_provider.mw_uri, params={"title": "Special:OAuth/initiate"}, auth=auth
    ).prepare()
    with requests.Session() as session:
        first = session.send(prepared, timeout=10)
        second = session.send(prepared, timeout=10)
    assert first.text.startswith("oauth_token=")
    assert second.text.startswith("Error: ")


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("expired", "Could not read response"),  # PyJWT refuses exp in the past
        ("future", "Could not read response"),  # PyJWT refuses iat in the future before mwoauth checks it
        ("wrong_audience", "Could not read response"),
        ("bad_signature", "Could not read response"),
        ("wrong_nonce", "Replay attack detected"),
        ("wrong_issuer", "Unexpected issuer"),
    ],
)
def test_bad_identify_jwt_makes_mwoauth_raise(
    oauth_provider: OAuthProvider, fault: str, message: str
) -> None:
    shaker, access_token = log_in(oauth_provider, "Alice")
    with oauth_provider.identify_fault(fault), pytest.raises(mwoauth.OAuthException, match=message):
        shaker.identify(access_token)
    # The same token still identifies once the fault is gone: the refusal came from the JWT alone.
    assert shaker.identify(access_token)["username"] == "Alice"


def test_per_user_identify_fault(oauth_provider: OAuthProvider) -> None:
    oauth_provider.state.add_user("Mallory", identify_fault="expired")
    shaker, access_token = log_in(oauth_provider, "Mallory")
    with pytest.raises(mwoauth.OAuthException, match="Could not read response"):
        shaker.identify(access_token)
    alice_shaker, alice_token = log_in(oauth_provider, "Alice")  # only Mallory's identity is broken
    assert alice_shaker.identify(alice_token)["username"] == "Alice"


def test_integer_sub_from_older_mediawiki_breaks_mwoauth(oauth_provider: OAuthProvider) -> None:
    # MediaWiki before the T380270 fix sent "sub" as a number; PyJWT >= 2.10 refuses it, so mwoauth 0.4.0
    # cannot identify against such wikis. Current Wikimedia wikis send a string.
    shaker, access_token = log_in(oauth_provider, "Alice")
    with oauth_provider.settings(integer_sub=True), pytest.raises(mwoauth.OAuthException, match="Could not read"):
        shaker.identify(access_token)


def test_callback_given_at_initiate_needs_a_prefix_consumer(oauth_provider: OAuthProvider) -> None:
    wanted = oauth_provider.callback_url + "?next=%2Fnominate"
    with pytest.raises(mwoauth.OAuthException, match="oob"):
        handshaker(oauth_provider, callback=wanted).initiate()
    with oauth_provider.callback(oauth_provider.callback_url, is_prefix=True):
        shaker = handshaker(oauth_provider, callback=wanted)
        redirect, request_token = shaker.initiate()
        query = oauth_provider.authorize(redirect, "Carol")
    assert query is not None
    assert dict(parse_qsl(query))["next"] == "/nominate"
    assert shaker.identify(shaker.complete(request_token, query))["username"] == "Carol"


def test_path_form_of_special_page(oauth_provider: OAuthProvider) -> None:
    auth = OAuth1(
        oauth_provider.consumer_key, client_secret=oauth_provider.consumer_secret, callback_uri="oob"
    )
    response = requests.post(oauth_provider.mw_uri + "/Special:OAuth/initiate", auth=auth, timeout=10)
    assert set(parse_qs(response.text)) == {"oauth_token", "oauth_token_secret", "oauth_callback_confirmed"}


def test_client_signature_is_rfc5849_hmac_sha1(oauth_provider: OAuthProvider) -> None:
    # Checks the client half (requests-oauthlib 2.0.0 on oauthlib 4.0.1) by hand, so a bug shared by the
    # client and the oauthlib-based server could not hide.
    auth = OAuth1("ck", client_secret="cs&x", resource_owner_key="tk", resource_owner_secret="ts")
    prepared = requests.Request(
        "POST", "http://Example.org:80/w/index.php", params={"title": "Special:OAuth/identify"}, auth=auth
    ).prepare()
    header = prepared.headers["Authorization"]
    header = header.decode() if isinstance(header, bytes) else header
    oauth = dict(re.findall(r'(\w+)="([^"]*)"', header))
    params = {key: value for key, value in oauth.items() if key != "oauth_signature"}
    params["title"] = quote("Special:OAuth/identify", safe="")
    normalized = "&".join(f"{key}={params[key]}" for key in sorted(params))
    base = "&".join(quote(part, safe="") for part in ("POST", "http://example.org/w/index.php", normalized))
    key = f"{quote('cs&x', safe='')}&{quote('ts', safe='')}".encode()
    expected = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
    assert requests.utils.unquote(oauth["oauth_signature"]) == expected
    assert abs(int(oauth["oauth_timestamp"]) - time.time()) < 60


def test_command_line_user_options() -> None:
    assert parse_user("Alice") == ("Alice", {})
    assert parse_user("Bob:blocked:editcount=7:groups=user+sysop") == (
        "Bob",
        {"blocked": True, "editcount": 7, "groups": ["user", "sysop"]},
    )
