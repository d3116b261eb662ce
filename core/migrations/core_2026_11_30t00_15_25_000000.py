"""One checkpoint name per database of a deployment (data_checkpoints, previous migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-30T00:15:25:000000"
VERSION = "1.38.0"
DESCRIPTION = "data checkpoints: unique name per deployment and step"

UNIQUE = "CREATE UNIQUE INDEX data_checkpoints_name ON data_checkpoints (deployment, step, name)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        from core.piccolo_conf import DB

        await DB.run_ddl(UNIQUE)

    manager.add_raw(run)
    return manager
