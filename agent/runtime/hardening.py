"""The docker create options that confine containers, instead of Docker's defaults (root with
the default capabilities, unlimited processes, a writable root, the default bridge).

Plugins hold every project secret and run code the admin did not write, so they get the least:
no network unless they join the deployment's (then only that one), no capabilities, no
privilege gain through setuid files, a process cap, and a read-only root with a private /tmp.
Services run arbitrary images that expect to write and to switch users at start, so they keep
Docker's capability set and a writable root, but never gain privileges through setuid files and
get a process cap; the catalog may add or drop capabilities and set the user per service.
docs/agent.md lists these defaults for operators.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PLUGIN_PIDS_LIMIT = 256
SERVICE_PIDS_LIMIT = 2048
NO_NEW_PRIVILEGES = "no-new-privileges"
PLUGIN_TMPFS_MB = 256
# exec: a Nuitka --onefile plugin unpacks itself into /tmp and runs from there.
PLUGIN_TMPFS_OPTIONS = "rw,exec,nosuid,nodev,mode=1777"


def plugin_options(network: str | None, memory_mb: int | None) -> dict[str, Any]:
    """`network`: the deployment network to join, or None for no network at all."""
    tmpfs_mb = min(memory_mb, PLUGIN_TMPFS_MB) if memory_mb else PLUGIN_TMPFS_MB
    return {
        **({"network": network} if network else {"network_mode": "none"}),
        "cap_drop": ["ALL"],
        "security_opt": [NO_NEW_PRIVILEGES],
        "pids_limit": PLUGIN_PIDS_LIMIT,
        "read_only": True,
        "tmpfs": {"/tmp": f"{PLUGIN_TMPFS_OPTIONS},size={tmpfs_mb}m"},
    }


def service_options(cap_add: Sequence[str], cap_drop: Sequence[str], user: str) -> dict[str, Any]:
    options: dict[str, Any] = {
        "security_opt": [NO_NEW_PRIVILEGES],
        "pids_limit": SERVICE_PIDS_LIMIT,
    }
    if cap_add:
        options["cap_add"] = list(cap_add)
    if cap_drop:
        options["cap_drop"] = list(cap_drop)
    if user:
        options["user"] = user
    return options
