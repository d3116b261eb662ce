"""Previews: one preview per (rule, pull request number), one delivery row per (source,
delivery id) — what makes a webhook delivered twice do its work once — and one rule per
forge repository."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T23:10:18:000000"
VERSION = "1.38.0"
DESCRIPTION = "previews: unique (rule, number), (source, delivery_id), (forge, repository)"

STATEMENTS = [
    "CREATE UNIQUE INDEX previews_rule_number ON previews (rule, number)",
    "CREATE UNIQUE INDEX webhook_deliveries_source_id ON webhook_deliveries (source, delivery_id)",
    "CREATE INDEX previews_deployment ON previews (deployment)",
    "CREATE UNIQUE INDEX preview_rules_repository ON preview_rules (forge, lower(repository))"
    " WHERE repository <> ''",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        from core.piccolo_conf import DB

        for statement in STATEMENTS:
            await DB.run_ddl(statement)

    manager.add_raw(run)
    return manager
