"""The start page: what the signed-in user can reach, and an admin's setup checklist."""

from __future__ import annotations

from litestar import Request, Router, get
from litestar.response import Template

from core.actor import Actor
from core.services import access, accounts, environments, projects, teams
from core.tables import Environment, Node, Project, Registry, Service, User
from web.guards import requires_login
from web.rendering import page


async def _checklist() -> list[dict]:
    """Setup steps in the order an admin needs them, each with whether it is done."""
    return [
        {
            "label": "Invite people and group them in teams",
            "href": "/teams",
            "done": await User.count().run() > 1,
        },
        {
            "label": "Create an environment",
            "href": "/environments",
            "done": await Environment.count().run() > 0,
        },
        {
            "label": "Add a node (an agent) to it",
            "href": "/environments",
            "done": await Node.count().run() > 0,
        },
        {
            "label": "Add a registry and services",
            "href": "/registries",  # services pull from a registry: it comes first
            "done": await Service.count().run() > 0 or await Registry.count().run() > 1,
        },
        {
            "label": "Create a project and its pipeline",
            "href": "/projects",
            "done": await Project.count().run() > 0,
        },
    ]


@get("/", include_in_schema=False)
async def home(request: Request, actor: Actor) -> Template:
    acl = await access.access_for(actor)
    project_ids, environment_ids = (
        (None, None) if acl.is_admin else (set(acl.projects), set(acl.environments))
    )
    my_teams = [] if actor.is_admin else await teams.teams_of_user(actor.id or 0)
    may_deploy = acl.may_deploy()
    return page(
        request,
        "home/index.html",
        projects=await projects.list_projects(project_ids),
        environments=await environments.list_environments(environment_ids),
        my_teams=my_teams,
        checklist=await _checklist() if actor.is_admin else [],
        may_deploy=may_deploy,
        admins=[] if may_deploy else await accounts.admin_names(),  # who to ask for access
    )


router = Router(path="/", route_handlers=[home], guards=[requires_login], include_in_schema=False)
