"""Ingress sessions and sign-in codes: a code works once and only for its deployment, expired
rows are purged by the housekeeping job, and decisions are cached per session."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.actor import Actor
from core.jobs import housekeeping
from core.services import accounts, url_access
from core.tables import Deployment, Environment
from core.tables.url_access import IngressSession
from core.tokens import hash_token
from shoaltest.db import insert_row


async def _deployment(name: str = "demo", policy: str = "signed-in") -> int:
    env = await insert_row(Environment(name=f"qa-{name}", base_domain="x.test", url_access=policy))
    return await insert_row(Deployment(environment=env, name=name, status="running"))


async def test_a_code_works_once_and_only_on_its_deployment(db):
    admin = await accounts.create_user(
        Actor.system("tests"), username="boss", password="boss-password-1", is_admin=True
    )
    first, second = await _deployment("one"), await _deployment("two")
    code = await url_access.create_code(first, admin.id)
    assert await url_access.exchange_code(second, code) is None
    cookie = await url_access.exchange_code(first, code)
    assert cookie is not None
    assert await url_access.exchange_code(first, code) is None
    assert (await url_access.decide(first, cookie)).kind == "allow"
    assert (await url_access.decide(second, cookie)).kind == "signin"


async def test_expired_rows_are_purged_and_decisions_are_cached(db):
    deployment = await _deployment()
    live = await url_access.open_session("password", deployment)
    await IngressSession.insert(
        IngressSession(
            token_hash=hash_token("old"),
            kind="password",
            deployment=deployment,
            expires_at=datetime.now(UTC) - timedelta(minutes=1),
        )
    ).run()
    assert (await housekeeping.purge_sessions({}))["ingress_purged"] == 1
    rows = await IngressSession.select(IngressSession.token_hash).run()
    assert rows == [{"token_hash": hash_token(live)}]

    await Environment.update({Environment.url_access: "password"}).where(Environment.id > 0)
    url_access.forget()
    before = url_access.checks[0]
    for _ in range(50):
        assert (await url_access.decide(deployment, live)).kind == "allow"
    assert url_access.checks[0] - before == 1  # one check per session per cache period

    url_access.forget()
    before = url_access.checks[0]
    together = await asyncio.gather(*(url_access.decide(deployment, live) for _ in range(20)))
    assert {d.kind for d in together} == {"allow"}
    assert url_access.checks[0] - before == 1  # a page's assets at once: still one check
