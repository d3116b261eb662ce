"""Import a compose file (admin): preview what it would create, then create it all at once.

The preview is the pure plan (core.domain.compose.plan) checked against this Shoal: catalog
names already taken, secrets it would replace, the catalog's own rules for each service.
The import re-plans from the same file and answers, and creates the project secrets, the
catalog services and the new pipeline version in one transaction: a refusal at any step
(a name taken meanwhile, a pipeline check) leaves nothing behind.
"""

from __future__ import annotations

from msgspec import Struct

from core import validation
from core.actor import Actor
from core.domain import images, tags
from core.domain.compose import ComposeInvalid
from core.domain.compose.graph import graph
from core.domain.compose.plan import Choices, Node, Plan, RegistryFacts, make_plan
from core.domain.container_security import check_capabilities, check_user
from core.errors import Forbidden, InvalidInput
from core.services import catalog, pipelines, secrets
from core.services.audit import Target, audited
from core.services.projects import get_project
from core.tables import Registry, Service


class Preview(Struct, kw_only=True):
    plan: Plan
    replaced_secrets: list[str] = []  # project secrets the import would overwrite


def must_be_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins can import compose files.")


async def _registries() -> list[RegistryFacts]:
    rows = await Registry.select(
        Registry.id, Registry.name, Registry.url, Registry.is_default
    ).run()
    return [RegistryFacts(**row) for row in rows]


def _catalog_rules(node: Node) -> list[str]:
    """The catalog's own checks (core.services.catalog), said per compose service."""
    where = f"services.{node.compose_name}"
    problems = []
    checks = [
        ("catalog name", lambda: validation.dns_label(node.catalog_name)),
        ("cap_add", lambda: check_capabilities(node.cap_add, "cap_add", allow_all=False)),
        ("cap_drop", lambda: check_capabilities(node.cap_drop, "cap_drop", allow_all=True)),
        ("user", lambda: check_user(node.user)),
        ("resources", lambda: catalog.check_resources(node.cpu or 0.5, node.memory_mb or 256)),
        ("image", lambda: images.check_image(node.image)),
    ]
    if node.selectable:
        checks.append(("tag pattern", lambda: tags.compile_pattern(node.tag_pattern)))
    else:
        checks.append(("image tag", lambda: tags.check_tag(node.tag)))
    for label, check in checks:
        try:
            check()
        except InvalidInput as exc:
            problems.append(f"{where} ({label}): {exc.detail}")
    return problems


async def preview(actor: Actor, project_id: int, text: str | bytes, choices: Choices) -> Preview:
    """The plan with this Shoal's own refusals added; ComposeInvalid if it is not compose."""
    must_be_admin(actor)
    project = await get_project(project_id)
    plan = make_plan(text, choices, await _registries(), project.name)
    names = [n.catalog_name for n in plan.nodes]
    rows = await Service.select(Service.name).where(Service.name.is_in(names or [""])).run()
    taken = {row["name"] for row in rows}
    # in the file's order, so the same file always gets the same answer
    for name in dict.fromkeys(n for n in names if n in taken):
        plan.problems.append(
            f"The catalog already has a service named '{name}': choose another name."
        )
    for name in dict.fromkeys(n for n in names if names.count(n) > 1):
        plan.problems.append(f"Two services would both be named '{name}' in the catalog.")
    for node in plan.nodes:
        # an image that still holds an unfilled variable is already a problem of its own
        if not any(p.startswith(f"services.{node.compose_name}.image:") for p in plan.problems):
            plan.problems += _catalog_rules(node)
    existing = await secrets.secret_names(project_id)
    return Preview(plan=plan, replaced_secrets=sorted(existing & set(plan.secret_values)))


def _service_input(node: Node) -> catalog.ServiceInput:
    check = catalog.HealthCheck()
    if node.health_command:
        check = catalog.HealthCheck(
            kind="command",
            command=node.health_command,
            interval_s=node.interval_s,
            timeout_s=node.timeout_s,
            retries=node.retries,
        )
    return catalog.ServiceInput(
        name=node.catalog_name,
        registry_id=node.registry_id or 0,
        image=node.image,
        tag_mode="selectable" if node.selectable else "pinned",
        tag="" if node.selectable else node.tag,
        tag_pattern=node.tag_pattern,
        port=node.port,
        health_check=check,
        command=node.command,
        cpu=node.cpu if node.cpu is not None else 0.5,
        memory_mb=node.memory_mb if node.memory_mb is not None else 256,
        description=f"Imported from compose service '{node.compose_name}'.",
        cap_add=node.cap_add,
        cap_drop=node.cap_drop,
        run_as=node.user,
    )


async def import_compose(
    actor: Actor,
    project_id: int,
    text: str | bytes,
    choices: Choices,
    *,
    message: str = "",
    base_version: int | None = None,
) -> pipelines.VersionView:
    target = Target("pipeline", project_id, project_id=project_id)
    async with audited(actor, "pipeline.compose_import", target) as audit:
        must_be_admin(actor)
        project = await get_project(project_id)
        audit.target = Target("pipeline", project_id, project.name, project_id=project_id)
        found = (await preview(actor, project_id, text, choices)).plan
        if not found.ok:
            raise ComposeInvalid(
                [*found.refused, *found.problems] or ["The file has no service to import."],
                "Nothing was imported: " + (found.refused + found.problems + [""])[0],
            )
        async with Service._meta.db.transaction():
            for name, value in found.secret_values.items():
                await secrets.set_secret(actor, project_id, name, value)
            ids = {}
            for node in found.nodes:
                ids[node.node_id] = (await catalog.create_service(actor, _service_input(node))).id
            try:
                saved = await pipelines.save_pipeline(
                    actor,
                    project_id,
                    graph(found, ids),
                    message or "Imported from a compose file",
                    base_version,
                )
            except pipelines.PipelineInvalid as exc:
                lines = [f"{i.node or 'pipeline'}: {i.message}" for i in exc.issues]
                raise ComposeInvalid(lines, "Nothing was imported: " + lines[0]) from exc
        audit.detail = (
            f"version {saved.version}: {len(ids)} services, {len(found.secret_values)} secrets"
        )
    return saved
