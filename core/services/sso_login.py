"""A sign-in at an OpenID provider, from the redirect to the Shoal user it ends as.

`begin` stores the state (hashed), nonce and PKCE verifier server-side for ten minutes;
`finish` takes that row out in the same statement that finds it, so a callback works once:
a replayed or forged `state` finds nothing, and the nonce it carried dies with it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import msgspec

from core.actor import Actor
from core.errors import ShoalError
from core.oidc import client
from core.oidc.client import SignInRefused
from core.services import accounts, sso_accounts, sso_groups, sso_providers
from core.services.audit import Target, record
from core.tables import OidcLogin
from core.tokens import hash_token, same

LIFETIME = timedelta(minutes=10)


class SignedIn(msgspec.Struct):
    user: accounts.UserView
    provider: str
    sync: sso_groups.SyncResult
    linked: bool = False


def callback_path(provider_name: str) -> str:
    return f"/auth/oidc/{provider_name}/callback"


async def begin(
    provider_name: str, *, public_url: str, next_url: str = "/", link_user_id: int | None = None
) -> tuple[str, str]:
    """(the provider's authorization URL to send the browser to, the state). The web layer
    keeps the state in a cookie of that browser too: `finish` wants it back (`bound_state`),
    so a callback URL passed to someone else's browser signs nobody in there."""
    provider = await sso_providers.provider_by_name(provider_name)
    config = await sso_providers.client_config(provider.id)
    meta = await client.discover(config.issuer)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    now = datetime.now(UTC)
    await OidcLogin.delete().where(OidcLogin.expires_at < now).run()
    await OidcLogin.insert(
        OidcLogin(
            state_hash=hash_token(state),
            provider=provider.id,
            nonce=nonce,
            code_verifier=verifier,
            next_url=next_url[:512],
            link_user=link_user_id,
            expires_at=now + LIFETIME,
        )
    ).run()
    url = client.authorization_url(
        meta,
        config,
        redirect_uri=public_url + callback_path(provider.name),
        state=state,
        nonce=nonce,
        verifier=verifier,
    )
    return url, state


async def _take_login(state: str, provider_id: int) -> dict:
    rows = (
        await OidcLogin.delete()
        .where(OidcLogin.state_hash == hash_token(state))
        .returning(*OidcLogin.all_columns())
        .run()
    )
    if not rows or rows[0]["provider"] != provider_id or rows[0]["expires_at"] < datetime.now(UTC):
        raise SignInRefused(
            "This sign-in link is unknown, expired or already used. Start the sign-in again."
        )
    return rows[0]


async def finish(
    provider_name: str,
    *,
    public_url: str,
    state: str,
    bound_state: str,
    code: str,
    error: str = "",
) -> tuple[SignedIn, str]:
    """(who signed in, where to go next); SignInRefused / ProviderDown when it fails, recorded
    in the audit log with the reason."""
    provider = await sso_providers.provider_by_name(provider_name)
    try:
        login = await _take_login(state, provider.id)
        if not bound_state or not same(bound_state, state):
            # Someone else's sign-in (login CSRF) or account link, delivered to this browser.
            raise SignInRefused("This sign-in did not start in this browser. Start it again.")
        user, claims = await _identify(provider, login, public_url, code, error)
    except ShoalError as exc:
        target = Target("sso_provider", provider.id, provider.name)
        await record(_system(provider.name), "user.sign_in_sso", target, "refused", exc.detail)
        raise
    groups = sso_groups.groups_of(claims, provider.groups_claim)
    sync = await sso_groups.sync_user(provider.id, user.id, groups)
    changes = [f"+{t}" for t in sync.joined] + [f"-{t}" for t in sync.left]
    await record(
        _system(provider.name),
        "user.sign_in_sso",
        Target("user", user.id, user.username),
        detail=", ".join(changes) or "teams unchanged",
    )
    user = await accounts.get_user(user.id)
    signed = SignedIn(user, provider.name, sync, linked=login["link_user"] is not None)
    return signed, login["next_url"]


async def _identify(
    provider: sso_providers.ProviderView, login: dict, public_url: str, code: str, error: str
) -> tuple[accounts.UserView, dict]:
    """The code exchanged, the ID token checked, the account found: (user, claims)."""
    if error:
        raise SignInRefused(f"The provider did not sign you in ({error[:100]}).")
    if not code:
        raise SignInRefused("The provider sent no authorization code.")
    config = await sso_providers.client_config(provider.id)
    meta = await client.discover(config.issuer)
    tokens = await client.exchange_code(
        meta,
        config,
        code=code,
        redirect_uri=public_url + callback_path(provider.name),
        verifier=login["code_verifier"],
    )
    claims = await client.verified_claims(meta, config, tokens["id_token"], login["nonce"])
    if provider.groups_claim and provider.groups_claim not in claims:
        extra = await client.userinfo(meta, str(tokens.get("access_token", "")))
        if extra.get("sub") == claims["sub"] and provider.groups_claim in extra:
            claims[provider.groups_claim] = extra[provider.groups_claim]
    user = await sso_accounts.account_for(provider, claims, link_user_id=login["link_user"])
    return user, claims


def _system(provider_name: str) -> Actor:
    return Actor.system(f"sign-in via {provider_name}")
