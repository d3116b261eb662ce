"""Breadcrumb trails (drawn by macros/nav.html) for the pages whose place needs working out.

Most pages write their trail in the template; a deployment's depends on what the viewer may
open: a grant on the environment alone does not show its project's page, nor the reverse, so
such a crumb leads to the deployment list narrowed to it instead of to a 404.
"""

from __future__ import annotations

from typing import NamedTuple

from core.domain.access import AccessMap
from core.services.deployments import DeploymentView


class Crumb(NamedTuple):
    label: str
    href: str = ""  # "" for the page itself, the last crumb


def of_deployment(acl: AccessMap, dep: DeploymentView) -> list[Crumb]:
    """Project, environment, then the deployment itself."""
    in_project = f"/deployments?project_id={dep.project_id}"
    project = f"/projects/{dep.project_id}" if acl.can_see_project(dep.project_id) else in_project
    environment = (
        f"/environments/{dep.environment_id}"
        if acl.can_see_environment(dep.environment_id)
        else f"{in_project}&environment_id={dep.environment_id}"
    )
    return [
        Crumb(dep.project_name, project),
        Crumb(dep.environment_name, environment),
        Crumb(dep.name),
    ]
