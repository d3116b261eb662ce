"""A deployment list row: the deployment as listed, plus what its project's schedule does to it
next (issue 20), which the row shows under its status. The row cache reads both by name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.services import schedule_next
from core.services.deployments import DeploymentView


class ListedDeployment:
    __slots__ = ("scheduled", "view")

    def __init__(self, view: DeploymentView, scheduled: tuple[str, datetime] | None) -> None:
        self.view, self.scheduled = view, scheduled

    def __getattr__(self, name: str) -> Any:
        return getattr(self.view, name)


async def with_schedules(listing: list[DeploymentView]) -> list[ListedDeployment]:
    upcoming = await schedule_next.next_for_deployments(listing)
    return [ListedDeployment(view, upcoming.get(view.id)) for view in listing]
