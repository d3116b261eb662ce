"""Root test configuration: puts tests/ on sys.path and loads the shared fixtures."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from shoaltest.caddy import *  # noqa: F403
from shoaltest.db import *  # noqa: F403
from shoaltest.docker import *  # noqa: F403
from shoaltest.registry import *  # noqa: F403
