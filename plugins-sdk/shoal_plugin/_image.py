"""Building a plugin image from a base you name, and pushing it to a registry you name.

Offline-friendly: nothing is pulled. The build context holds the plugin folder as ``plugin/``
and a copy of this SDK as ``shoal_plugin/``; a Python plugin gets a generated Dockerfile, any
other plugin brings its own ``Dockerfile`` (given ``--build-arg BASE``); ``compiled`` builds a
Python plugin with Nuitka into a ``FROM scratch`` image instead (_compiled.py). The image carries
its parameter schema (label ``org.shoal.plugin.schema``, for the control plane's form) and the
digest of what it was built from (``org.shoal.plugin.source-sha256``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ._compiled import prepare_compiled_context
from ._local import docker_command
from ._target import TargetError, target_schema

DEFAULT_PYTHON_BASE = "shoal/debian-python:bookworm"
SCHEMA_LABEL = "org.shoal.plugin.schema"
SOURCE_LABEL = "org.shoal.plugin.source-sha256"
# The SDK's bytecode is compiled into the image: each run (a reset waits on one) would
# otherwise compile it again, as PYTHONDONTWRITEBYTECODE keeps a run from caching it.
_PYTHON_DOCKERFILE = """\
ARG BASE
FROM ${BASE}
COPY shoal_plugin /opt/shoal/shoal_plugin
COPY plugin /opt/shoal/plugin
RUN python3 -m compileall -q /opt/shoal/shoal_plugin
ENV PYTHONPATH=/opt/shoal PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
ENTRYPOINT ["python3", "/opt/shoal/plugin/plugin.py"]
"""
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def _docker(*args: str, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    output = subprocess.DEVNULL if quiet else sys.stderr
    return subprocess.run([docker_command(), *args], stdout=output, stderr=output, text=True)


def image_exists(image: str) -> bool:
    return _docker("image", "inspect", image, quiet=True).returncode == 0


def source_digest(folder: Path, recipe: str) -> str:
    """SHA-256 of what an image is built from: the recipe, the plugin folder and this SDK."""
    digest = hashlib.sha256(recipe.encode())
    for tree in (folder, Path(__file__).parent):
        files = [p for p in tree.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        for path in sorted(files):
            digest.update(str(path.relative_to(tree)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _recipe(folder: Path, base: str | None, compiled: bool) -> tuple[str, str | None]:
    """What to build from: ("compiled" | "python" | "own", base image or None); checked."""
    if not folder.is_dir():
        raise TargetError(f"{folder} is not a plugin folder")
    own_dockerfile = (folder / "Dockerfile").is_file()
    python = (folder / "plugin.py").is_file()
    if compiled:
        if not python:
            raise TargetError(f"--nuitka compiles plugin.py, and {folder} has none")
        if base:
            raise TargetError("--nuitka builds FROM scratch: leave out --base")
        return "compiled", None
    if not own_dockerfile and not python:
        raise TargetError(f"{folder} has neither plugin.py nor a Dockerfile")
    base = base or (None if own_dockerfile else DEFAULT_PYTHON_BASE)
    if base and not image_exists(base):
        raise TargetError(
            f"base image {base} is not here and nothing is pulled: build it "
            "(build/base-images/debian-python.sh) or `docker pull` it first"
        )
    return ("own" if own_dockerfile else "python"), base


def build_image(folder: Path, tag: str, base: str | None = None, *, compiled: bool = False) -> None:
    """Build ``folder`` into the image ``tag``; TargetError says what is wrong."""
    kind, base = _recipe(folder, base, compiled)
    schema = json.dumps(target_schema(str(folder)), separators=(",", ":"))
    labels = {SCHEMA_LABEL: schema, SOURCE_LABEL: source_digest(folder, f"{kind}:{base}")}
    with tempfile.TemporaryDirectory(prefix="shoal-plugin-build-") as context_dir:
        context = Path(context_dir)
        dockerfile = context / "Dockerfile"
        if kind == "compiled":
            prepare_compiled_context(folder / "plugin.py", context)
        else:
            shutil.copytree(folder, context / "plugin", ignore=_IGNORED)
            shutil.copytree(Path(__file__).parent, context / "shoal_plugin", ignore=_IGNORED)
            if kind == "own":
                dockerfile = context / "plugin/Dockerfile"
            else:
                dockerfile.write_text(_PYTHON_DOCKERFILE)
        args = ["build", "-t", tag, "-f", str(dockerfile)]
        for key, value in labels.items():
            args += ["--label", f"{key}={value}"]
        if base:
            args += ["--build-arg", f"BASE={base}"]
        if _docker(*args, str(context)).returncode != 0:
            raise TargetError(f"docker build of {folder} failed (see above)")


def push_image(image: str, registry: str, name: str | None = None) -> str:
    """Tag ``image`` as ``registry/name`` (name defaults to the image's), push it, return that."""
    remote = f"{registry.rstrip('/')}/{name or image}"
    if _docker("tag", image, remote).returncode != 0:
        raise TargetError(f"cannot tag {image} as {remote}")
    # The docker CLI turns errors that arrive inside the push stream into a non-zero exit.
    if _docker("push", remote).returncode != 0:
        raise TargetError(f"push of {remote} failed (see above; `docker login {registry}`?)")
    return remote
