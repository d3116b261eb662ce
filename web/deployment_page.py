"""What the deployment page shows around its live state: where it sits (breadcrumbs), how
long Extend may keep it (durations up to its cleanup period), which image tags a preview
waits for, and each service's CPU and memory over the last hour (from the samples heartbeats
leave, core.hub.usage_samples)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from core.actor import Actor
from core.domain import extension, status
from core.services import access, checkpoints, idle, preview_images, schedule_next, seed_resets
from core.services import deployment_actions as actions
from core.services.deployments import DeploymentView
from core.tables import Deployment, ServiceSample
from web import breadcrumbs, charts
from web.preview_line import preview_line

Series = list[tuple[datetime.datetime, float]]


async def extras(actor: Actor, dep: DeploymentView) -> dict[str, Any]:
    acl = await access.access_for(actor)
    waiting = dep.status == status.WAITING_FOR_IMAGE
    return {
        "trail": breadcrumbs.of_deployment(acl, dep),
        "extend_choices": extension.choices(await actions.cleanup_period(dep)),
        # The tags a preview waits for (its selectable services'; pinned ones are there).
        "waiting_for": await preview_images.awaited(dep.id) if waiting else {},
        "preview": await preview_line(dep.id),  # "preview of PR #42 · branch · author · commit"
        "databases": await checkpoints.databases(actor, dep.id),  # the Data section
        "seeded": await seed_resets.seeded_steps_of(dep),  # step → dataset: "reset to seed"
        # ("wakes" | "sleeps" | "is replaced", when) by its schedules (project's, environment's).
        "scheduled": await schedule_next.next_for_deployment(
            dep.project_id, dep.environment_id, dep.name, dep.status
        ),
        # Its idle period and last traffic while it runs (None when idle sleep is off).
        "idle": await idle.watch_of(dep.id) if dep.status == status.RUNNING else None,
    }


async def service_charts(dep: DeploymentView) -> list[dict[str, Any]]:
    """Per service (by name): its CPU (% of one CPU) and memory charts, each scaled to the
    deployment's limit, which all its services share."""
    now = datetime.datetime.now(datetime.UTC)
    rows = (
        await ServiceSample.select(
            ServiceSample.service,
            ServiceSample.at,
            ServiceSample.cpu_percent,
            ServiceSample.memory_mb,
        )
        .where((ServiceSample.deployment == dep.id) & (ServiceSample.at >= now - charts.WINDOW))
        .order_by(ServiceSample.at)
        .run()
    )
    if not rows:
        return []
    limits = (
        await Deployment.select(Deployment.cpu, Deployment.memory_mb)
        .where(Deployment.id == dep.id)
        .first()
        .run()
    ) or {}
    cpu: dict[str, Series] = defaultdict(list)
    memory: dict[str, Series] = defaultdict(list)
    for row in rows:
        cpu[row["service"]].append((row["at"], row["cpu_percent"]))
        memory[row["service"]].append((row["at"], row["memory_mb"]))
    cpu_top = float(limits.get("cpu") or 0) * 100
    memory_top = float(limits.get("memory_mb") or 0)
    return [
        {
            "service": service,
            "cpu": charts.line_chart(f"{service} CPU", "%", cpu[service], cpu_top, now),
            "memory": charts.line_chart(
                f"{service} memory", "MB", memory[service], memory_top, now
            ),
        }
        for service in sorted(cpu)
    ]
