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


# Notes each of our modules' globals the moment its own import ends, imports everything, then
# names every global that another module's import rebound afterwards.
GLOBALS_PROBE = """
import importlib, importlib.abc, importlib.machinery, sys, types
from pathlib import Path

OURS = ("agent", "core", "web")
finished = {}


class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] not in OURS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            finished[name] = {
                k: v for k, v in vars(module).items() if not isinstance(v, types.ModuleType)
            }

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, Watch())
for package in OURS:
    for path in sorted(Path(package).rglob("*.py")):
        parts = list(path.with_suffix("").parts)
        if "migrations" not in parts and parts[-1] != "__main__":
            importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
assert len(finished) > 100, "the probe saw too few modules"
for name, values in finished.items():
    now = vars(sys.modules[name])
    for key, value in values.items():
        if key in now and now[key] is not value:
            print(f"{name}.{key}")
print("ok")
"""


def test_no_module_global_is_set_by_importing_another_module():
    done = subprocess.run(
        [sys.executable, "-c", GLOBALS_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["ok"], "rebound on import:\n" + done.stdout
