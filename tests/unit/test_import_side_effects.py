"""Importing the product changes no process-wide state: what a process needs is set up by
whoever starts it (the lifespan, the hub's start), never as a side effect of an import."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
PROBE = """
import asyncio.sslproto, importlib, pkgutil
before = asyncio.sslproto.SSLProtocol.max_size
import agent, core, web
for package in (agent, core, web):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".migrations." not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
assert asyncio.sslproto.SSLProtocol.max_size == before, "an import shrank asyncio's TLS buffers"
print("ok")
"""


def test_importing_every_module_leaves_asyncio_as_it_was():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
