"""The "404 for what you cannot see" rule (DESIGN §4) as dependencies every controller asks
for by name: a handler that declares `visible_project`, `visible_environment` or
`visible_node` gets the object only when the actor's grants reach it, and the request ends
in a 404 (never a 403 that would confirm it exists) otherwise. The rule itself is
core.services.access; this module only places it where every route must pass it.
"""

from __future__ import annotations

from litestar.di import Provide
from litestar.exceptions import NotFoundException

from core.actor import Actor
from core.errors import NotFound
from core.services import access, environments, nodes, projects
from core.services.environments import EnvironmentView
from core.services.nodes import NodeView
from core.services.projects import ProjectView
from web.params import IdParam


async def visible_project(actor: Actor, project_id: IdParam) -> ProjectView:
    if not (await access.access_for(actor)).can_see_project(project_id):
        raise NotFoundException("No such project.")
    return await projects.get_project(project_id)


async def visible_environment(actor: Actor, environment_id: IdParam) -> EnvironmentView:
    if not (await access.access_for(actor)).can_see_environment(environment_id):
        raise NotFoundException("No such environment.")
    return await environments.get_environment(environment_id)


async def visible_node(actor: Actor, node_id: IdParam) -> NodeView:
    try:
        node = await nodes.get_node(node_id)
    except NotFound:
        raise NotFoundException("No such node.") from None
    if not (await access.access_for(actor)).can_see_environment(node.environment_id):
        raise NotFoundException("No such node.")
    return node


DEPENDENCIES = {
    "visible_project": Provide(visible_project),
    "visible_environment": Provide(visible_environment),
    "visible_node": Provide(visible_node),
}
