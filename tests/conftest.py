"""Root test configuration: puts tests/ on sys.path and registers the shared fixture modules."""

import logging
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# pgserver narrates every pg_ctl call; its platformdirs wants a private runtime dir.
logging.getLogger("pgserver").setLevel(logging.WARNING)
_runtime = Path(tempfile.gettempdir()) / f"shoal-runtime-{os.getuid()}"
_runtime.mkdir(mode=0o700, exist_ok=True)
os.environ.setdefault("XDG_RUNTIME_DIR", str(_runtime))

# Each shared fixture module is a plugin, so a fixture name leads to its module
# (tests/README.md lists them). Plugins are global: plugins-sdk/tests see them as well.
pytest_plugins = [
    "shoaltest.agent",
    "shoaltest.agent_build",
    "shoaltest.browser",
    "shoaltest.caddy",
    "shoaltest.db",
    "shoaltest.docker",
    "shoaltest.hub",
    "shoaltest.oidc",
    "shoaltest.plugins",
    "shoaltest.registry",
    "shoaltest.web",
]
