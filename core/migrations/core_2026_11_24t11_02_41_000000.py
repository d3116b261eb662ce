"""Step outputs written before they were protected may hold secrets in clear: mark them so
pages show them fully masked until the `protect_step_outputs` job has sealed them (it needs
the master key, which a migration does not have)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-24T11:02:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "pipeline_steps: mark outputs written before sealing"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        from core.piccolo_conf import DB

        await DB.run_ddl(
            "UPDATE pipeline_steps SET sealed_outputs = 'legacy'"
            " WHERE sealed_outputs = '' AND outputs <> '{}'::jsonb"
        )
        # The job looks for them every minute: without this it would read the whole table.
        await DB.run_ddl(
            "CREATE INDEX pipeline_steps_legacy_outputs ON pipeline_steps (id)"
            " WHERE sealed_outputs = 'legacy'"
        )

    manager.add_raw(run)
    return manager
