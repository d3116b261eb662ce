"""What a deployment's "URL access" page and API show: the policy that applies, and for users
with full access its password, bypass token and share links, with ready-made URLs."""

from __future__ import annotations

import msgspec

from core.actor import Actor
from core.domain.url_access import BYPASS_HEADER, BYPASS_PARAM, HOST_PREFIX, effective_policy
from core.services import deployments, share_links, url_keys
from core.services.share_links import ShareLinkView
from core.tables import Environment, Project


class UrlAccessView(msgspec.Struct, kw_only=True):
    deployment_id: int
    policy: str
    """public | signed-in | password: the project's override, else the environment's."""
    urls: dict[str, str]
    level: str
    password: str | None = None
    """Only for full access (None otherwise); what visitors type under `password`."""
    bypass_token: str | None = None
    bypass_header: str = BYPASS_HEADER
    bypass_param: str = BYPASS_PARAM
    share_links: list[ShareLinkView] = []


class NewShareLink(msgspec.Struct, kw_only=True):
    link: ShareLinkView
    token: str
    """Shown once: only its hash is stored."""
    urls: dict[str, str]
    """One URL per service: opening any of them opens that service for the visitor."""


async def policy_of(project_id: int, environment_id: int) -> str:
    project = await Project.select(Project.url_access).where(Project.id == project_id).first()
    env = (
        await Environment.select(Environment.url_access)
        .where(Environment.id == environment_id)
        .first()
    )
    return effective_policy((project or {}).get("url_access"), (env or {}).get("url_access"))


def share_urls(urls: dict[str, str], token: str) -> dict[str, str]:
    return {name: f"{url.rstrip('/')}{HOST_PREFIX}share?t={token}" for name, url in urls.items()}


async def view(actor: Actor, deployment_id: int) -> UrlAccessView:
    """Anyone who may see the deployment sees its policy; the secrets need full access."""
    dep = await deployments.get_deployment(actor, deployment_id)
    shown = UrlAccessView(
        deployment_id=dep.id,
        policy=await policy_of(dep.project_id, dep.environment_id),
        urls=dep.urls,
        level=dep.level,
    )
    if dep.level != "full":
        return shown
    keys = await url_keys.reveal(actor, deployment_id)
    shown.password = keys.password
    shown.bypass_token = keys.bypass_token
    shown.share_links = await share_links.list_links(actor, deployment_id)
    return shown


async def new_share_link(actor: Actor, deployment_id: int, hours: int | None) -> NewShareLink:
    link, token = await share_links.create_link(actor, deployment_id, hours)
    dep = await deployments.get_deployment(actor, deployment_id)
    return NewShareLink(link=link, token=token, urls=share_urls(dep.urls, token))
