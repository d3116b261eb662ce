"""Compose's small value grammars: image references, ports, sizes, durations, env files."""

from __future__ import annotations

import re
import shlex
from typing import Any

from msgspec import Struct

UNITS = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
DURATION = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)")
SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class ImageRef(Struct, frozen=True):
    host: str  # "" = no registry named (Docker Hub in compose's own reading)
    path: str  # repository path inside the registry
    tag: str
    digest: str = ""


class PortSpec(Struct, frozen=True):
    target: int
    published: str = ""  # host port or range, "" = none chosen
    host_ip: str = ""
    protocol: str = "tcp"


def image_ref(text: str) -> ImageRef:
    """`nginx`, `nginx:1.27`, `ghcr.io/org/app:v1`, `localhost:5000/app`, `app@sha256:…`."""
    name, _, digest = text.partition("@")
    first, slash, rest = name.partition("/")
    host = ""
    if slash and ("." in first or ":" in first or first == "localhost"):
        host, name = first.lower(), rest
    repo, colon, tag = name.rpartition(":")
    if not colon or "/" in tag:
        repo, tag = name, ""
    if host in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        host = ""
    return ImageRef(host=host, path=repo, tag=tag or ("" if digest else "latest"), digest=digest)


def ports(raw: list[Any]) -> list[PortSpec]:
    """Short (`[ip:][host:]container[/proto]`) and long (`{target, published}`) syntax."""
    found: list[PortSpec] = []
    for item in raw:
        if isinstance(item, dict):
            found.append(
                PortSpec(
                    target=int(item["target"]),
                    published=str(item.get("published") or ""),
                    host_ip=str(item.get("host_ip") or ""),
                    protocol=str(item.get("protocol") or "tcp"),
                )
            )
            continue
        text, _, protocol = str(item).partition("/")
        parts = text.rsplit(":", 2)
        target = parts[-1]
        published = parts[-2] if len(parts) >= 2 else ""
        host_ip = parts[0] if len(parts) == 3 else ""
        if "-" in target:
            raise ValueError(f"the port range {target} (Shoal routes one port per service)")
        found.append(PortSpec(int(target), published, host_ip.strip("[]"), protocol or "tcp"))
    return found


def memory_mb(value: Any) -> int:
    """`512M`, `1g`, `268435456`, `1.5gb` → whole MB (at least 4)."""
    if isinstance(value, int | float):
        size = float(value)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([bkmg]?)b?\s*", str(value).lower())
        if match is None:
            raise ValueError(f"'{value}' is not a memory size")
        size = float(match.group(1)) * UNITS[match.group(2) or "b"]
    return max(4, round(size / 1024**2))


def duration_s(value: Any, default: float) -> float:
    """`1m30s`, `10s`, `500ms` → seconds; None → default."""
    if value is None:
        return default
    text = str(value).strip()
    parts = DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"'{value}' is not a duration")
    return sum(float(n) * SECONDS[u] for n, u in parts)


def command_text(value: Any) -> str:
    """A compose command (string or list) as the one string the catalog keeps."""
    if value is None:
        return ""
    if isinstance(value, list):
        return shlex.join(str(v) for v in value)
    return str(value)


def env_pairs(raw: Any) -> dict[str, str]:
    """`environment` as a mapping or a list of `KEY=VALUE`; a bare KEY / null is left out."""
    if isinstance(raw, dict):
        return {str(k): _scalar(v) for k, v in raw.items() if v is not None}
    pairs: dict[str, str] = {}
    for item in raw or []:
        key, equals, value = str(item).partition("=")
        if equals:
            pairs[key] = value
    return pairs


def env_file(text: str) -> dict[str, str]:
    """A .env file: `KEY=VALUE` lines, `#` comments, optional quotes, optional `export `."""
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, equals, value = line.partition("=")
        if not equals:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        pairs[key.strip()] = value
    return pairs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
