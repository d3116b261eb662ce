"""Finding a plugin on disk: its command, its folder and its parameter schema.

A target is a plugin folder (holding ``plugin.py`` or ``plugin.sh``), a plugin file, or a module
name; ``TARGET:ClassName`` names the params class when it is not called ``Params``. A plugin
not written in Python keeps its schema in ``schema.json`` beside its code.

A Python plugin declares its outputs in module constants, which join its schema: ``OUTPUTS``
(the keys it writes, ``"x-outputs"``) and ``SECRET_OUTPUTS`` (those holding a secret,
``"x-secret-outputs"``: stored sealed, masked for read-level users, kept off the agent's disk).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from ._params import params_schema

ENTRY_FILES = ("plugin.py", "plugin.sh")
SCHEMA_FILE = "schema.json"


class TargetError(Exception):
    """The target cannot be found or read; the message says which and why."""


def split_target(target: str) -> tuple[str, str | None]:
    path, sep, class_name = target.rpartition(":")
    # "C:\..." never happens here, but "dir:Class" must not eat a path that merely has a colon.
    if sep and class_name.isidentifier():
        return path, class_name
    return target, None


def entry_file(target: str) -> Path:
    """The plugin's code file for a folder or file target."""
    path = Path(split_target(target)[0])
    if path.is_dir():
        for name in ENTRY_FILES:
            if (path / name).is_file():
                return path / name
        raise TargetError(f"{path} holds none of {', '.join(ENTRY_FILES)}")
    if path.is_file():
        return path
    raise TargetError(f"no plugin at {path}")


def entry_command(target: str) -> list[str]:
    """How to start the plugin locally: Python files with this interpreter, shell with sh."""
    code = entry_file(target)
    if code.suffix == ".py":
        return [sys.executable, str(code)]
    if code.suffix == ".sh":
        return ["sh", str(code)]
    return [str(code.resolve())]


def _load_module(location: str) -> ModuleType:
    path = Path(location)
    if path.is_dir() or path.suffix == ".py":
        code = entry_file(location)
        spec = importlib.util.spec_from_file_location(f"_shoal_target_{code.parent.name}", code)
        if spec is None or spec.loader is None:
            raise TargetError(f"cannot import {code}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while decorating
        try:
            spec.loader.exec_module(module)  # not as __main__, so run() does not fire
        except Exception as exc:
            raise TargetError(f"importing {code} failed: {type(exc).__name__}: {exc}") from None
        return module
    try:
        return importlib.import_module(location)
    except ImportError as exc:
        raise TargetError(f"cannot import {location}: {exc}") from None


def target_schema(target: str) -> dict[str, Any]:
    """The parameter JSON Schema: schema.json for non-Python plugins, else from the class."""
    location, class_name = split_target(target)
    path = Path(location)
    python_folder = path.is_dir() and (path / "plugin.py").is_file()
    if path.exists() and path.suffix != ".py" and not python_folder:
        schema_path = (path if path.is_dir() else path.parent) / SCHEMA_FILE
        if not schema_path.is_file():
            raise TargetError(f"{location} is not a Python plugin and has no {SCHEMA_FILE}")
        try:
            return json.loads(schema_path.read_text())
        except ValueError as exc:
            raise TargetError(f"{schema_path} is not JSON: {exc}") from None
    module = _load_module(location)
    params_class = getattr(module, class_name or "Params", None)
    if not isinstance(params_class, type):
        raise TargetError(f"{location} has no params class {class_name or 'Params'}")
    try:
        schema = params_schema(params_class)
    except TypeError as exc:
        raise TargetError(f"{params_class.__name__}: {exc}") from None
    return {**schema, **_output_keywords(module)}


def _output_keywords(module: ModuleType) -> dict[str, list[str]]:
    keywords: dict[str, list[str]] = {}
    for constant, keyword in (
        ("OUTPUTS", "x-outputs"),
        ("SECRET_OUTPUTS", "x-secret-outputs"),
        ("DATA_ACTIONS", "x-data-actions"),
        ("DATASET_PARAMS", "x-dataset-params"),
    ):
        names = getattr(module, constant, None)
        if names is None:
            continue
        if isinstance(names, str) or not all(isinstance(n, str) and n for n in names):
            raise TargetError(f"{constant} must be a list of output names")
        keywords[keyword] = list(names)
    unknown = set(keywords.get("x-secret-outputs", [])) - set(keywords.get("x-outputs", []))
    if "x-outputs" in keywords and unknown:
        raise TargetError(f"SECRET_OUTPUTS names outputs missing from OUTPUTS: {sorted(unknown)}")
    return keywords
