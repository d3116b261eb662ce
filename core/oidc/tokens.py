"""Check an ID token: signature from the provider's JWKS, issuer, audience, expiry, nonce.

joserfc does every check. `alg: none` and symmetric algorithms are refused by the allowed
list (a provider signs with its private key; HS256 would let anyone holding the client secret,
or a JWKS-confusion trick, forge a token). An unknown `kid` raises UnknownKey so the caller can
fetch the JWKS again once: that is how a provider's key rotation is picked up.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError, MissingKeyError
from joserfc.jwk import KeySet

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
LEEWAY_S = 60
"""Clock skew tolerated between Shoal and the provider."""


class TokenRejected(Exception):
    """The ID token must not be believed; the message says why (never the token itself)."""


class UnknownKey(TokenRejected):
    """Signed with a key the JWKS does not hold (maybe a new one: refetch and retry once)."""


def check_id_token(
    token: str,
    jwks: dict,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: Callable[[], int] | None = None,
) -> dict:
    """The token's claims when every check passes; TokenRejected otherwise."""
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as exc:
        raise TokenRejected(f"the provider's key set is unreadable ({exc})") from exc
    kid = _header_kid(token)
    if kid is not None and not any(key.kid == kid for key in keys.keys):
        raise UnknownKey(f"signed with an unknown key ({kid[:64]})")
    try:
        decoded = jwt.decode(token, keys, algorithms=list(ALLOWED_ALGORITHMS))
    except (BadSignatureError, MissingKeyError) as exc:
        if kid is None:  # no kid to match: a rotated key looks like a bad signature
            raise UnknownKey("no key of the provider verifies it") from exc
        raise TokenRejected(f"bad signature ({exc.error})") from exc
    except JoseError as exc:
        raise TokenRejected(f"bad signature or format ({exc.error})") from exc
    except (ValueError, TypeError) as exc:
        raise TokenRejected(f"malformed token ({exc})") from exc
    registry = jwt.JWTClaimsRegistry(
        now=now or (lambda: int(time.time())),
        leeway=LEEWAY_S,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(decoded.claims)
    except JoseError as exc:
        raise TokenRejected(f"claim check failed ({exc.error}: {exc.description})") from exc
    return dict(decoded.claims)


def _header_kid(token: str) -> str | None:
    """The `kid` in the (not yet trusted) header, only to decide whether to refetch keys."""
    try:
        kid = jws.extract_compact(token.encode()).headers().get("kid")
    except (JoseError, ValueError, TypeError, IndexError) as exc:
        raise TokenRejected("malformed token") from exc
    return kid if isinstance(kid, str) else None
