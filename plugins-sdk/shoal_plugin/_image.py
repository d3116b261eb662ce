"""Building a plugin image from a base you name, and pushing it to a registry you name.

Offline-friendly: nothing is pulled. The build context holds the plugin folder as ``plugin/``
and a copy of this SDK as ``shoal_plugin/``; a Python plugin gets a generated Dockerfile, any
other plugin brings its own ``Dockerfile`` (given ``--build-arg BASE``). The image carries
its parameter schema in the label ``org.shoal.plugin.schema`` for the control plane to read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ._local import docker_command
from ._target import TargetError, target_schema

DEFAULT_PYTHON_BASE = "shoal/debian-python:bookworm"
SCHEMA_LABEL = "org.shoal.plugin.schema"
_PYTHON_DOCKERFILE = """\
ARG BASE
FROM ${BASE}
COPY shoal_plugin /opt/shoal/shoal_plugin
COPY plugin /opt/shoal/plugin
ENV PYTHONPATH=/opt/shoal PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
ENTRYPOINT ["python3", "/opt/shoal/plugin/plugin.py"]
"""
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def _docker(*args: str, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    output = subprocess.DEVNULL if quiet else sys.stderr
    return subprocess.run([docker_command(), *args], stdout=output, stderr=output, text=True)


def image_exists(image: str) -> bool:
    return _docker("image", "inspect", image, quiet=True).returncode == 0


def build_image(folder: Path, tag: str, base: str | None = None) -> None:
    """Build ``folder`` into the image ``tag``; TargetError says what is wrong."""
    if not folder.is_dir():
        raise TargetError(f"{folder} is not a plugin folder")
    own_dockerfile = folder / "Dockerfile"
    if not own_dockerfile.is_file() and not (folder / "plugin.py").is_file():
        raise TargetError(f"{folder} has neither plugin.py nor a Dockerfile")
    base = base or (None if own_dockerfile.is_file() else DEFAULT_PYTHON_BASE)
    if base and not image_exists(base):
        raise TargetError(
            f"base image {base} is not here and nothing is pulled: build it "
            "(build/base-images/debian-python.sh) or `docker pull` it first"
        )
    schema = json.dumps(target_schema(str(folder)), separators=(",", ":"))
    with tempfile.TemporaryDirectory(prefix="shoal-plugin-build-") as context_dir:
        context = Path(context_dir)
        shutil.copytree(folder, context / "plugin", ignore=_IGNORED)
        shutil.copytree(Path(__file__).parent, context / "shoal_plugin", ignore=_IGNORED)
        dockerfile = "plugin/Dockerfile"
        if not own_dockerfile.is_file():
            (context / "Dockerfile").write_text(_PYTHON_DOCKERFILE)
            dockerfile = "Dockerfile"
        args = [
            "build",
            "-t",
            tag,
            "-f",
            str(context / dockerfile),
            "--label",
            f"{SCHEMA_LABEL}={schema}",
        ]
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
