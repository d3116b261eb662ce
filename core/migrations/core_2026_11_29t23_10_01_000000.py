"""An event reaches a channel once: one delivery per (channel, event key). Raw SQL runs before a
migration's column changes, hence a migration of its own after the one adding the tables."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T23:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification_deliveries: unique (channel, event_key)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        from core.piccolo_conf import DB

        await DB.run_ddl(
            "CREATE UNIQUE INDEX notification_deliveries_once "
            "ON notification_deliveries (channel, event_key)"
        )

    manager.add_raw(run)
    return manager
