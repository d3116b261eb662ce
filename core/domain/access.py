"""Access rules (DESIGN §4), pure: which level a user has on a deployment, project or environment.

A team's grant on a project covers that project's deployments in every environment; a grant on
an environment covers every deployment in it. A user's level is the highest grant that covers
the thing through any of their teams. No covering grant = no access = the thing is invisible
(the web layer answers 404, never 403). Admins have `full` on everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

import msgspec


class Level(IntEnum):
    NONE = 0
    READ = 1
    FULL = 2

    @classmethod
    def parse(cls, value: str) -> Level:
        return {"read": cls.READ, "full": cls.FULL}[value]

    @property
    def label(self) -> str:
        return self.name.lower()


class GrantFact(msgspec.Struct, frozen=True):
    """One grant reaching the user through one of their teams."""

    target: str  # "project" | "environment"
    target_id: int
    level: Level


class AccessMap(msgspec.Struct, frozen=True):
    """Everything one user may reach; built once per request from their grants."""

    is_admin: bool
    projects: dict[int, Level]
    environments: dict[int, Level]

    def deployment_level(self, project_id: int, environment_id: int) -> Level:
        if self.is_admin:
            return Level.FULL
        return max(
            self.projects.get(project_id, Level.NONE),
            self.environments.get(environment_id, Level.NONE),
        )

    def can_see_project(self, project_id: int) -> bool:
        return self.is_admin or project_id in self.projects

    def can_see_environment(self, environment_id: int) -> bool:
        return self.is_admin or environment_id in self.environments

    def project_level(self, project_id: int) -> Level:
        return Level.FULL if self.is_admin else self.projects.get(project_id, Level.NONE)

    def environment_level(self, environment_id: int) -> Level:
        return Level.FULL if self.is_admin else self.environments.get(environment_id, Level.NONE)

    def may_deploy(self) -> bool:
        """Full access to some project or environment: enough to create a deployment there."""
        levels = (*self.projects.values(), *self.environments.values())
        return self.is_admin or Level.FULL in levels


def build_access(is_admin: bool, grants: Iterable[GrantFact]) -> AccessMap:
    """Fold a user's grants into the highest level per project and per environment."""
    projects: dict[int, Level] = {}
    environments: dict[int, Level] = {}
    for grant in grants:
        bucket = projects if grant.target == "project" else environments
        bucket[grant.target_id] = max(bucket.get(grant.target_id, Level.NONE), grant.level)
    return AccessMap(is_admin=is_admin, projects=projects, environments=environments)
