"""Write Shoal pipeline plugins: one JSON document on stdin, one JSON object on stdout.

    from dataclasses import dataclass
    from shoal_plugin import Context, param, run

    @dataclass
    class Params:
        name: str = param(description="Who to greet")

    def apply(ctx: Context[Params]) -> dict:
        ctx.log.info("greeting %s", ctx.params.name)
        return {"greeting": f"hello {ctx.params.name}"}

    if __name__ == "__main__":
        run(apply=apply, params=Params)

The contract itself is in ``_types.py`` and README.md; ``python -m shoal_plugin`` prints a
plugin's parameter schema, runs it locally, builds its image and pushes it.
"""

from ._errors import InvalidInput, PluginError, WaitTimeout
from ._io import get_logger
from ._params import param, params_schema, parse_params
from ._runner import Context, Terminated, execute, run
from ._types import (
    EXIT_FAILED,
    EXIT_INVALID_INPUT,
    EXIT_OK,
    EXIT_TERMINATED,
    Deployment,
    Invocation,
    invocation_document,
)
from ._wait import http_status, wait_for_http, wait_for_tcp

__version__ = "0.1.0"

__all__ = [
    "EXIT_FAILED",
    "EXIT_INVALID_INPUT",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "Context",
    "Deployment",
    "InvalidInput",
    "Invocation",
    "PluginError",
    "Terminated",
    "WaitTimeout",
    "__version__",
    "execute",
    "get_logger",
    "http_status",
    "invocation_document",
    "param",
    "params_schema",
    "parse_params",
    "run",
    "wait_for_http",
    "wait_for_tcp",
]
