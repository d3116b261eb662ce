"""A plugin's name is unique among the plugins in the catalog: a retired one (kept for the
deployments still running with it) leaves its name free. Raw SQL runs before a migration's
column changes, hence a migration of its own after the one adding `removed_at`."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-24T20:51:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "plugins: name unique among plugins not removed"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        from core.piccolo_conf import DB

        await DB.run_ddl(
            "CREATE UNIQUE INDEX plugins_live_name ON plugins (name) WHERE removed_at IS NULL"
        )

    manager.add_raw(run)
    return manager
