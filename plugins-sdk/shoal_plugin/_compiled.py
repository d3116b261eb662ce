"""A Python plugin compiled with Nuitka into an image built ``FROM scratch``.

No base image and no Python interpreter in the image: Nuitka's standalone folder (the plugin,
this SDK and the parts of the standard library it uses, compiled, with libpython linked in
statically and the shared libraries it bundles), the system libraries (glibc) that ``ldd``
finds for every executable file in it, and the host's CA bundle for https (http-wait: 35 MB).

Needs Nuitka in the Python running the SDK (``pip install nuitka``), a C compiler and patchelf;
ccache makes rebuilds take seconds instead of minutes. Compiles for the host's CPU and glibc.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from ._target import TargetError

CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
COMPILED_DOCKERFILE = """\
FROM scratch
COPY root/ /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/plugin/plugin"]
"""


def _compile(code: Path, out_dir: Path) -> Path:
    """Nuitka's standalone folder for ``code``, with the executable named ``plugin``."""
    command = [
        sys.executable, "-m", "nuitka", "--standalone", "--static-libpython=yes", "--quiet",
        "--remove-output", f"--output-dir={out_dir}", "--output-filename=plugin", str(code),
    ]  # fmt: skip
    done = subprocess.run(command, stdout=sys.stderr, stderr=sys.stderr)
    folder = out_dir / f"{code.stem}.dist"
    if done.returncode != 0 or not (folder / "plugin").is_file():
        raise TargetError(
            f"Nuitka could not compile {code} (is nuitka installed in {sys.executable}, "
            "with gcc and patchelf on PATH?)"
        )
    return folder


def _is_elf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


def _system_libraries(folder: Path) -> set[Path]:
    """What the folder's executables and libraries load from outside it (ldd), loader included."""
    libraries: set[Path] = set()
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink() or not _is_elf(path):
            continue
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
        for line in done.stdout.splitlines():
            parts = line.split()
            if "not found" in line:
                raise TargetError(f"{path.name} needs {parts[0]}, which this host lacks")
            # "libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x...)" or "/lib64/ld-linux-... (0x..)"
            lib = parts[2] if "=>" in parts and len(parts) > 2 else (parts[0] if parts else "")
            if lib.startswith("/") and not Path(lib).resolve().is_relative_to(folder.resolve()):
                libraries.add(Path(lib))
    return libraries


def prepare_compiled_context(code: Path, context: Path) -> None:
    """Compile ``code`` and lay out the image's root and Dockerfile in ``context``."""
    folder = _compile(code, context / "build")
    root = context / "root"
    root.mkdir()
    (root / "tmp").mkdir(mode=0o1777)
    shutil.copytree(folder, root / "plugin", symlinks=True)
    for library in _system_libraries(folder):
        target = root / library.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library.resolve(), target)
    if CA_BUNDLE.is_file():
        (root / CA_BUNDLE.parent.relative_to("/")).mkdir(parents=True, exist_ok=True)
        shutil.copy2(CA_BUNDLE, root / CA_BUNDLE.relative_to("/"))
    shutil.rmtree(context / "build")
    (context / "Dockerfile").write_text(COMPILED_DOCKERFILE)
