"""http-wait: hold the pipeline until a URL of the deployment answers 2xx.

Give either ``url`` or ``service`` (a service node id: its URL comes from ``deployment.urls``,
the public ingress URL). Inside the deployment network, ``http://<node id>:<port>/`` reaches a
service directly, without the ingress.
"""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass
from typing import Literal

from shoal_plugin import Context, InvalidInput, param, run, wait_for_http


@dataclass
class Params:
    """Wait until a URL of the deployment answers with a 2xx status."""

    url: str = param("", description="URL to wait for (http or https); or set service")
    service: str = param("", description="Service node id whose deployment URL to wait for")
    path: str = param("", description="Path appended to the URL, e.g. /health")
    timeout_s: float = param(120.0, description="Give up after this many seconds", minimum=1)
    interval_s: float = param(1.0, description="Seconds between attempts", minimum=0.1)
    method: Literal["GET", "HEAD"] = param("GET", description="HTTP method of each attempt")


def target_url(ctx: Context[Params]) -> str:
    params = ctx.params
    if bool(params.url) == bool(params.service):
        problem = "set exactly one of url and service"
        raise InvalidInput({"params.url": problem, "params.service": problem})
    if params.service:
        if params.service not in ctx.deployment.urls:
            known = ", ".join(sorted(ctx.deployment.urls)) or "none"
            raise InvalidInput(
                {"params.service": f"no URL for {params.service!r} (known: {known})"}
            )
        base = ctx.deployment.urls[params.service]
    else:
        base = params.url
    url = base.rstrip("/") + "/" + params.path.lstrip("/") if params.path else base
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        field = "params.service" if params.service else "params.url"
        raise InvalidInput({field: f"not an http(s) URL: {url!r}"})
    return url


def apply(ctx: Context[Params]) -> dict[str, object]:
    url = target_url(ctx)
    ctx.log.info("waiting up to %g s for %s to answer 2xx", ctx.params.timeout_s, url)
    started = time.monotonic()
    status = wait_for_http(
        url,
        timeout_s=ctx.params.timeout_s,
        interval_s=ctx.params.interval_s,
        method=ctx.params.method,
    )
    return {"url": url, "status": status, "elapsed_s": round(time.monotonic() - started, 3)}


if __name__ == "__main__":
    # Nothing to undo: waiting changes nothing.
    run(apply=apply, params=Params)
