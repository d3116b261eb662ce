"""What an admin may loosen or tighten per catalog service: Linux capabilities and the user the
container runs as. The agent applies them on top of its own defaults (no-new-privileges and a
pids limit for every service; see docs/agent.md).

Capability names are Docker's (`NET_ADMIN`); `CAP_NET_ADMIN` and lower case are accepted and
stored the canonical way. Only names from the kernel's list pass, so a typo is refused at save
time rather than failing every deployment at container create.
"""

from __future__ import annotations

import re

from core.errors import InvalidInput

CAPABILITIES = frozenset(
    {
        "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF",
        "CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
        "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN",
        "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW",
        "PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT",
        "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
    }
)  # fmt: skip
MAX_CAPABILITIES = len(CAPABILITIES) + 1
# A name as useradd allows it, or a numeric id; "uid:gid", "name:group" and mixes too.
_PART = r"(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?|[0-9]{1,10})"
USER = re.compile(rf"^{_PART}(?::{_PART})?$")
MAX_ID = 2**32 - 2


def check_capabilities(names: list[str], field: str, *, allow_all: bool) -> list[str]:
    """Canonical, de-duplicated names in the given order; `ALL` only where `allow_all`."""
    if not isinstance(names, list) or len(names) > MAX_CAPABILITIES:
        raise InvalidInput("Give a list of capability names.", field)
    canonical: list[str] = []
    for raw in names:
        if not isinstance(raw, str):
            raise InvalidInput("Give a list of capability names.", field)
        name = raw.strip().upper().removeprefix("CAP_")
        if name == "ALL" and allow_all:
            pass
        elif name == "ALL":
            raise InvalidInput("ALL cannot be added; name the capabilities needed.", field)
        elif name not in CAPABILITIES:
            shown = raw.strip()[:40] or "(empty)"
            raise InvalidInput(f"'{shown}' is not a Linux capability (e.g. NET_ADMIN).", field)
        if name not in canonical:
            canonical.append(name)
    return canonical


def check_user(value: str, field: str = "run_as") -> str:
    """ "" (the image's own user), a name, a numeric id, or either followed by ":group"."""
    value = value.strip()
    if not value:
        return ""
    if not USER.fullmatch(value) or any(
        part.isdigit() and int(part) > MAX_ID for part in value.split(":")
    ):
        raise InvalidInput(
            "Write a user name or numeric id, optionally followed by ':group' (e.g. 1000:1000).",
            field,
        )
    return value
