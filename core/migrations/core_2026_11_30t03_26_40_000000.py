"""Office hours per environment (issue 20): a schedule belongs to a project or, for office
hours only, to an environment (project empty, `environment` names it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-30T03:26:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "schedules: office hours per environment"

STATEMENTS = [
    "ALTER TABLE schedules ALTER COLUMN project DROP NOT NULL",
    # A nightly schedule names both its project and the environment it deploys to; office
    # hours name exactly one owner.
    "ALTER TABLE schedules ADD CONSTRAINT schedules_one_owner CHECK ("
    " (project IS NOT NULL AND (kind = 'nightly' OR environment IS NULL)) OR"
    " (project IS NULL AND kind = 'office_hours' AND environment IS NOT NULL))",
    "CREATE INDEX schedules_environment ON schedules (environment)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        from core.piccolo_conf import DB

        for statement in STATEMENTS:
            await DB.run_ddl(statement)

    manager.add_raw(run)
    return manager
