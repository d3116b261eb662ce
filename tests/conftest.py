"""Root test configuration: puts tests/ on sys.path and loads the shared fixtures."""

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

from shoaltest.agent import *  # noqa: F403
from shoaltest.browser import *  # noqa: F403
from shoaltest.caddy import *  # noqa: F403
from shoaltest.db import *  # noqa: F403
from shoaltest.docker import *  # noqa: F403
from shoaltest.hub import *  # noqa: F403
from shoaltest.plugins import *  # noqa: F403
from shoaltest.registry import *  # noqa: F403
from shoaltest.web import *  # noqa: F403
