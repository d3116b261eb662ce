"""The smallest useful plugin: greet someone, and show every part of the SDK a plugin touches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shoal_plugin import Context, PluginError, param, run


@dataclass
class Params:
    """Say hello to someone in the deployment's log."""

    name: str = param(description="Who to greet", min_length=1)
    style: Literal["plain", "loud"] = param("plain", description="How to greet")
    times: int = param(1, description="How many greetings", minimum=1, maximum=10)
    fail: bool = param(False, description="Fail on purpose (to see a failed step)")


def apply(ctx: Context[Params]) -> dict[str, object]:
    if ctx.params.fail:
        raise PluginError(f"asked to fail for {ctx.params.name}")
    greeting = f"hello {ctx.params.name}"
    if ctx.params.style == "loud":
        greeting = greeting.upper() + "!"
    for _ in range(ctx.params.times):
        ctx.log.info("%s (deployment %s)", greeting, ctx.deployment.name)
    return {"greeting": greeting, "deployment": ctx.deployment.name}


def rollback(ctx: Context[Params]) -> None:
    ctx.log.info("goodbye %s", ctx.params.name)


if __name__ == "__main__":
    run(apply=apply, rollback=rollback, params=Params)
