"""One row per version of a project's dataset name (datasets, previous migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-30T02:41:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "datasets: unique version per project and name"

UNIQUE = "CREATE UNIQUE INDEX datasets_version ON datasets (project, name, version)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        from core.piccolo_conf import DB

        await DB.run_ddl(UNIQUE)

    manager.add_raw(run)
    return manager
