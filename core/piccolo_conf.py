"""Piccolo configuration, found through PICCOLO_CONF=core.piccolo_conf (set by core.db).

The engine's DSN comes from SHOAL_RUNTIME_DSN, which core.db sets once it knows the real
database (a configured server, or the embedded one it just started).
"""

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

DB = PostgresEngine(
    config={"dsn": os.environ.get("SHOAL_RUNTIME_DSN", "postgresql://localhost/shoal")},
    extensions=(),
)

APP_REGISTRY = AppRegistry(apps=["core.piccolo_app"])
