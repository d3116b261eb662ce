"""The one Piccolo app of the control plane: every table, one migration history."""

import os

from piccolo.conf.apps import AppConfig

from core.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=ALL_TABLES,
    migration_dependencies=[],
    commands=[],
)
