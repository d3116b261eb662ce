"""Whole Caddy config documents: Shoal's parts merged into a live config, and read back out.

`POST /load` replaces everything, so the document we load must carry what we do not own: the
`admin` block (without it Caddy would move its admin API to the default address and we would
lose it) and, in an operator-run Caddy, their other servers and TLS policies.
"""

from __future__ import annotations

import copy

from core.ingress.config import ID_PREFIX, SERVER_NAMES

NO_TRUST_STORE = {"certificate_authorities": {"local": {"install_trust": False}}}


def _is_ours(policy: object) -> bool:
    return isinstance(policy, dict) and str(policy.get("@id", "")).startswith(ID_PREFIX)


def owned_part(live: dict | None, *, metrics: bool = False) -> dict:
    """What of `live` Shoal owns, in `build_owned`'s shape, to compare with the wanted one
    (`metrics`: Shoal sets `apps.http.metrics` too, in a Caddy it runs)."""
    live = live or {}
    apps = live.get("apps") or {}
    http = apps.get("http") or {}
    servers = http.get("servers") or {}
    policies = ((apps.get("tls") or {}).get("automation") or {}).get("policies") or []
    owned = {
        "servers": {name: servers[name] for name in SERVER_NAMES if name in servers},
        "tls_policies": [p for p in policies if _is_ours(p)],
    }
    if metrics:
        owned["metrics"] = http.get("metrics")
    return owned


def merge_into(live: dict | None, owned: dict, admin: dict) -> dict:
    """`live` with Shoal's servers and policies replaced by `owned`; `admin` if live has none."""
    document = copy.deepcopy(live) if isinstance(live, dict) else {}
    document.setdefault("admin", admin)
    apps = document.setdefault("apps", {})
    http = apps.setdefault("http", {})
    servers = {
        name: server
        for name, server in (http.get("servers") or {}).items()
        if name not in SERVER_NAMES
    }
    servers.update(owned["servers"])
    http["servers"] = servers
    if "metrics" in owned:
        http["metrics"] = owned["metrics"]
    tls = apps.get("tls") or {}
    automation = tls.get("automation") or {}
    theirs = [p for p in automation.get("policies") or [] if not _is_ours(p)]
    # Ours first: Caddy wants a catch-all policy (one without subjects) to be the last.
    policies = owned["tls_policies"] + theirs
    if policies:
        automation["policies"] = policies
        tls["automation"] = automation
        apps["tls"] = tls
    elif "tls" in apps:
        automation.pop("policies", None)
    if any(p["issuers"][0]["module"] == "internal" for p in owned["tls_policies"]):
        # Our internal CA must never try to write the system's trust store.
        apps.setdefault("pki", copy.deepcopy(NO_TRUST_STORE))
    return document


def whole_config(owned: dict, admin: dict) -> dict:
    """The complete document for a Caddy that Shoal started and owns entirely."""
    return merge_into(None, owned, admin)
