"""Talking to an OpenID provider: discovery, the authorization URL (PKCE S256, state, nonce),
the code exchange, the ID token's checks (tokens.py) with one JWKS refetch on an unknown key,
and the userinfo endpoint when the ID token lacks the groups claim.

Discovery documents and key sets are cached for a few minutes per process: a sign-in should
not cost three extra round trips, and a key rotation is still noticed at once (UnknownKey).
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import httpx
import msgspec
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from core.errors import InvalidInput, Unavailable
from core.oidc.tokens import TokenRejected, UnknownKey, check_id_token

TIMEOUT_S = 10.0
CACHE_S = 300.0
_discovery: dict[str, tuple[float, dict]] = {}
_jwks: dict[str, tuple[float, dict]] = {}


class ProviderConfig(msgspec.Struct, frozen=True, kw_only=True):
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: str = "openid profile email"


class ProviderDown(Unavailable):
    """The provider could not be reached or answered nonsense; local sign-in still works."""


class SignInRefused(InvalidInput):
    """The provider's answer must not sign anyone in (bad token, error from the provider)."""

    status_code = 400


def forget_caches() -> None:
    _discovery.clear()
    _jwks.clear()


async def _get_json(url: str, what: str, **kwargs: object) -> dict:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
            response = await http.get(url, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        raise ProviderDown(f"The sign-in provider is unreachable ({what}: {exc!r}).") from exc
    if response.status_code != 200:
        raise ProviderDown(f"The sign-in provider answered {response.status_code} ({what}).")
    try:
        document = response.json()
    except ValueError as exc:
        raise ProviderDown(f"The sign-in provider sent no JSON ({what}).") from exc
    if not isinstance(document, dict):
        raise ProviderDown(f"The sign-in provider sent an unexpected document ({what}).")
    return document


async def discover(issuer: str) -> dict:
    """The provider's metadata (`/.well-known/openid-configuration`), checked and cached."""
    cached = _discovery.get(issuer)
    if cached and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    meta = await _get_json(url, "discovery")
    if str(meta.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise ProviderDown(
            f"The provider's discovery document names the issuer {meta.get('issuer')!r}, "
            f"not {issuer!r}: check the issuer setting."
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(meta.get(key), str):
            raise ProviderDown(f"The provider's discovery document has no {key}.")
    _discovery[issuer] = (time.monotonic(), meta)
    return meta


async def key_set(jwks_uri: str, *, refresh: bool = False) -> dict:
    cached = _jwks.get(jwks_uri)
    if cached and not refresh and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    document = await _get_json(jwks_uri, "key set")
    _jwks[jwks_uri] = (time.monotonic(), document)
    return document


def authorization_url(
    meta: dict, config: ProviderConfig, *, redirect_uri: str, state: str, nonce: str, verifier: str
) -> str:
    query = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "scope": config.scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    endpoint = meta["authorization_endpoint"]
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(query)


async def exchange_code(
    meta: dict, config: ProviderConfig, *, code: str, redirect_uri: str, verifier: str
) -> dict:
    """The token response (must hold an id_token) for the authorization code."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": config.client_id,
    }
    auth = (config.client_id, config.client_secret) if config.client_secret else None
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
            response = await http.post(meta["token_endpoint"], data=form, auth=auth)
    except httpx.HTTPError as exc:
        raise ProviderDown(f"The sign-in provider is unreachable (token: {exc!r}).") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict):
        reason = body.get("error", response.status_code) if isinstance(body, dict) else ""
        raise SignInRefused(f"The provider refused the sign-in code ({reason}).")
    if not isinstance(body.get("id_token"), str):
        raise SignInRefused("The provider sent no ID token (is the 'openid' scope set?).")
    return body


async def verified_claims(meta: dict, config: ProviderConfig, id_token: str, nonce: str) -> dict:
    """The ID token's claims after every check; one JWKS refetch when its key is unknown."""
    check = {"issuer": meta["issuer"], "client_id": config.client_id, "nonce": nonce}
    try:
        try:
            return check_id_token(id_token, await key_set(meta["jwks_uri"]), **check)
        except UnknownKey:
            fresh = await key_set(meta["jwks_uri"], refresh=True)
            return check_id_token(id_token, fresh, **check)
    except TokenRejected as exc:
        raise SignInRefused(f"The provider's ID token was refused: {exc}.") from exc


async def userinfo(meta: dict, access_token: str) -> dict:
    endpoint = meta.get("userinfo_endpoint")
    if not isinstance(endpoint, str) or not access_token:
        return {}
    headers = {"Authorization": f"Bearer {access_token}"}
    return await _get_json(endpoint, "userinfo", headers=headers)
