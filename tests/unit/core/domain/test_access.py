"""DESIGN §4 access rules, as a table: role x grant target x level → what the user gets."""

import itertools

import pytest

from core.domain.access import GrantFact, Level, build_access

PROJECT, OTHER_PROJECT, ENV, OTHER_ENV = 1, 2, 10, 20
ROLES = ("admin", "user")
TARGETS = ("none", "project", "environment", "other-project", "other-environment")
LEVELS = (Level.READ, Level.FULL)


def grant_for(target: str, level: Level) -> list[GrantFact]:
    ids = {
        "project": PROJECT,
        "environment": ENV,
        "other-project": OTHER_PROJECT,
        "other-environment": OTHER_ENV,
    }
    if target == "none":
        return []
    kind = "project" if "project" in target else "environment"
    return [GrantFact(kind, ids[target], level)]


def expected(role: str, target: str, level: Level) -> Level:
    if role == "admin":
        return Level.FULL
    return level if target in ("project", "environment") else Level.NONE


@pytest.mark.parametrize(
    ("role", "target", "level"), list(itertools.product(ROLES, TARGETS, LEVELS))
)
def test_level_on_a_deployment(role, target, level):
    access = build_access(role == "admin", grant_for(target, level))
    assert access.deployment_level(PROJECT, ENV) == expected(role, target, level)


@pytest.mark.parametrize(
    ("role", "target", "level"), list(itertools.product(ROLES, TARGETS, LEVELS))
)
def test_visibility_of_projects_and_environments(role, target, level):
    access = build_access(role == "admin", grant_for(target, level))
    admin = role == "admin"
    assert access.can_see_project(PROJECT) == (admin or target == "project")
    assert access.can_see_environment(ENV) == (admin or target == "environment")
    assert access.can_see_project(OTHER_PROJECT) == (admin or target == "other-project")


def test_highest_covering_grant_wins_across_teams():
    access = build_access(
        False,
        [
            GrantFact("project", PROJECT, Level.READ),
            GrantFact("environment", ENV, Level.FULL),
            GrantFact("project", PROJECT, Level.READ),
        ],
    )
    assert access.deployment_level(PROJECT, ENV) == Level.FULL
    assert access.deployment_level(PROJECT, OTHER_ENV) == Level.READ
    assert access.deployment_level(OTHER_PROJECT, OTHER_ENV) == Level.NONE


def test_project_grant_covers_every_environment():
    access = build_access(False, [GrantFact("project", PROJECT, Level.FULL)])
    for env in (ENV, OTHER_ENV, 999):
        assert access.deployment_level(PROJECT, env) == Level.FULL
