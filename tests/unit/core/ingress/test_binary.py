import sys
import sysconfig
from pathlib import Path

from core.ingress import binary
from core.ingress.binary import find_caddy, parse_version, supports_close_delay


def _fake(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "caddy"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_caddy_beside_python_wins_over_the_one_on_path(tmp_path, monkeypatch):
    venv_bin, on_path = tmp_path / "venv" / "bin", tmp_path / "usr" / "bin"
    _fake(on_path)
    monkeypatch.setenv("PATH", str(on_path))
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path / "nothing"))
    monkeypatch.setattr(sys, "executable", str(venv_bin / "python"))
    assert find_caddy() == str(on_path / "caddy")
    _fake(venv_bin)
    assert find_caddy() == str(venv_bin / "caddy")


def test_the_scripts_dir_counts_as_beside_python(tmp_path, monkeypatch):
    scripts = tmp_path / "scripts"
    _fake(scripts)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(binary.sysconfig, "get_path", lambda name: str(scripts))
    assert find_caddy() == str(scripts / "caddy")


def test_no_caddy_anywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(binary.sysconfig, "get_path", lambda name: str(tmp_path))
    assert find_caddy() is None


def test_versions_and_the_close_delay():
    assert parse_version("v2.11.7 h1:yj0Y4fYZGPkSvibBJ1sTWE33xC0fxztVyXEW5iIdUT4=") == (2, 11, 7)
    assert parse_version("2.6.2\n") == (2, 6, 2)
    assert parse_version("(devel)") is None
    assert not supports_close_delay((2, 6, 2))
    assert supports_close_delay((2, 7, 0)) and supports_close_delay((2, 11, 7))
    assert supports_close_delay(None)  # unknown: tried, and dropped if refused
