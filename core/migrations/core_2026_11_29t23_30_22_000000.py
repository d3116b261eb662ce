"""A provider's `sub` names one identity (so one Shoal account); a group maps to a team once.
Raw SQL runs before a migration's table changes, hence a migration of its own."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T23:30:22:000000"
VERSION = "1.38.0"
DESCRIPTION = "oidc: unique (provider, sub) and (provider, group, team)"

STATEMENTS = (
    "CREATE UNIQUE INDEX oidc_identities_provider_sub ON oidc_identities (provider, sub)",
    "CREATE UNIQUE INDEX oidc_group_mappings_unique ON oidc_group_mappings"
    " (provider, group_name, coalesce(team, 0), grants_admin)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        from core.piccolo_conf import DB

        for statement in STATEMENTS:
            await DB.run_ddl(statement)

    manager.add_raw(run)
    return manager
