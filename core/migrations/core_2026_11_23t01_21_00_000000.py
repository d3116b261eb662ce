"""Constraints Piccolo's column options cannot express: composite and partial unique indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T01:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite and partial unique constraints"

STATEMENTS = [
    "CREATE UNIQUE INDEX memberships_team_user ON memberships (team, \"user\")",
    "CREATE UNIQUE INDEX grants_team_target ON grants"
    " (team, target, COALESCE(project, 0), COALESCE(environment, 0))",
    "CREATE UNIQUE INDEX secrets_project_name ON secrets (project, name)",
    "CREATE UNIQUE INDEX pipeline_versions_project_version ON pipeline_versions (project, version)",
    "CREATE UNIQUE INDEX nodes_environment_address ON nodes (environment, lower(host), port)",
    "CREATE UNIQUE INDEX nodes_environment_name ON nodes (environment, name)",
    "CREATE UNIQUE INDEX deployments_live_name ON deployments (environment, name)"
    " WHERE status <> 'deleted'",
    "ALTER TABLE grants ADD CONSTRAINT grants_one_target CHECK ("
    " (target = 'project' AND project IS NOT NULL AND environment IS NULL) OR"
    " (target = 'environment' AND environment IS NOT NULL AND project IS NULL))",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        from core.piccolo_conf import DB

        for statement in STATEMENTS:
            await DB.run_ddl(statement)

    manager.add_raw(run)
    return manager
