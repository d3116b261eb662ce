"""Each ID token check with keys made here (joserfc): a token is believed only when every
one of signature, algorithm, issuer, audience, expiry and nonce is right."""

from __future__ import annotations

import base64
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from core.oidc.tokens import TokenRejected, UnknownKey, check_id_token

ISSUER, CLIENT, NONCE = "https://idp.example", "shoal", "nonce-1"


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


@pytest.fixture(scope="module")
def jwks(key: RSAKey) -> dict:
    return KeySet([key]).as_dict(private=False)


def claims(**changes: object) -> dict:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": CLIENT, "sub": "u1", "iat": now, "exp": now + 300}
    return {**base, "nonce": NONCE, **changes}


def sign(key: RSAKey, payload: dict, **header: str) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid, **header}, payload, key)


def check(token: str, jwks: dict, **expected: str) -> dict:
    return check_id_token(
        token,
        jwks,
        issuer=expected.get("issuer", ISSUER),
        client_id=expected.get("client_id", CLIENT),
        nonce=expected.get("nonce", NONCE),
    )


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_good_token_gives_its_claims(key, jwks):
    assert check(sign(key, claims(groups=["qa"])), jwks)["groups"] == ["qa"]


def test_a_key_the_jwks_does_not_hold_is_unknown(jwks):
    other = RSAKey.generate_key(2048, parameters={"kid": "rotated"})
    with pytest.raises(UnknownKey):
        check(sign(other, claims()), jwks)


def test_without_a_kid_a_foreign_signature_asks_for_fresh_keys_too(jwks):
    other = RSAKey.generate_key(2048)
    token = jwt.encode({"alg": "RS256"}, claims(), other)
    with pytest.raises(UnknownKey):
        check(token, jwks)


def test_alg_none_is_refused(jwks):
    token = _b64({"alg": "none", "kid": "k1"}) + "." + _b64(claims()) + "."
    with pytest.raises(TokenRejected) as refused:
        check(token, jwks)
    assert not isinstance(refused.value, UnknownKey)


def test_a_symmetric_algorithm_is_refused_even_with_a_matching_key():
    secret = OctKey.generate_key(256, parameters={"kid": "k1"})
    token = jwt.encode({"alg": "HS256", "kid": "k1"}, claims(), secret)
    with pytest.raises(TokenRejected):
        check(token, KeySet([secret]).as_dict(private=True))


def test_a_tampered_payload_is_refused(key, jwks):
    header, _, signature = sign(key, claims()).split(".")
    forged = f"{header}.{_b64(claims(sub='admin'))}.{signature}"
    with pytest.raises(TokenRejected):
        check(forged, jwks)


def test_an_expired_token_is_refused(key, jwks):
    old = int(time.time()) - 3600
    with pytest.raises(TokenRejected, match="expired"):
        check(sign(key, claims(iat=old - 300, exp=old)), jwks)


@pytest.mark.parametrize(
    ("changes", "claim"),
    [
        ({"aud": "someone-else"}, "aud"),
        ({"iss": "https://evil.example"}, "iss"),
        ({"nonce": "replayed"}, "nonce"),
    ],
)
def test_wrong_audience_issuer_or_nonce_is_refused(key, jwks, changes, claim):
    with pytest.raises(TokenRejected, match=claim):
        check(sign(key, claims(**changes)), jwks)


@pytest.mark.parametrize("missing", ["nonce", "exp", "aud", "iss", "sub"])
def test_a_missing_essential_claim_is_refused(key, jwks, missing):
    payload = claims()
    del payload[missing]
    with pytest.raises(TokenRejected):
        check(sign(key, payload), jwks)


def test_garbage_is_refused_without_a_crash(jwks):
    for token in ("", "a.b", "not-a-token", "a.b.c.d"):
        with pytest.raises(TokenRejected):
            check(token, jwks)
