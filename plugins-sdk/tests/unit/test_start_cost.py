"""A plugin runs once per step and per data action (a reset waits on one): importing the SDK
must not pull in what few plugins use (asyncio, urllib.request: ~0.2 s together on a loaded
node), and a built image carries the SDK's bytecode (tests/plugins checks the image)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("asyncio", "urllib.request", "http.client", "email")


def test_importing_the_sdk_leaves_the_heavy_modules_out():
    probe = f"import sys, shoal_plugin; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_an_async_handler_and_an_http_wait_still_work():
    probe = """
import shoal_plugin._runner as runner
from shoal_plugin import http_status

async def handler(context):
    return {"ok": True}

assert runner._call(handler, None) == {"ok": True}
try:
    http_status("http://127.0.0.1:9/", timeout_s=0.5)  # nothing listens on the discard port
except OSError:
    print("refused")
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused"
