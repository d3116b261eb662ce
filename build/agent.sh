#!/usr/bin/env bash
# Build the node agent: one self-contained executable (Nuitka onefile, needs only glibc on the
# target) and, with --image, the offline agent image (no base image from any registry).
#
#   bash build/agent.sh            → build/out/shoal-agent          (~4 min on 2 cores, ccache later)
#   bash build/agent.sh --image    → also the image shoal/agent:<version> (+ :latest)
#   bash build/agent.sh --image-only  → the image from the executable already built
#
# Needs gcc, patchelf, ccache (Debian) and nuitka + zstandard (the dev extras).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
docker=${DOCKER:-/usr/bin/docker}
out=build/out
version=$("$python" -c 'import agent; print(agent.__version__)')
# Unpacked once per build into the user's cache dir (not per start: faster start, less memory);
# the source hash in the path means a new build never reuses an older payload.
build_id=$(find agent -name '*.py' | sort | xargs cat | sha256sum | cut -c1-12)
mode=${1:-}
mkdir -p "$out"

if [ "$mode" != "--image-only" ]; then
"$python" -m nuitka \
  --mode=onefile \
  --output-dir="$out/nuitka" \
  --output-filename=shoal-agent \
  --static-libpython=yes \
  --python-flag=no_site,no_docstrings,-m \
  --include-package=agent \
  --include-package=websockets \
  --nofollow-import-to=paramiko,pytest,setuptools,pip,IPython,tkinter,unittest.mock \
  --nofollow-import-to=charset_normalizer,chardet \
  --noinclude-setuptools-mode=nofollow \
  --noinclude-pytest-mode=nofollow \
  --onefile-as-archive \
  --onefile-tempdir-spec="{CACHE_DIR}/shoal-agent/$version-$build_id" \
  --product-name=shoal-agent \
  --product-version="$version" \
  --assume-yes-for-downloads \
  --quiet \
  agent
mv -f "$out/nuitka/shoal-agent" "$out/shoal-agent"
echo "built $out/shoal-agent ($(du -h "$out/shoal-agent" | cut -f1)), version $version"
fi

if [ "$mode" = "--image" ] || [ "$mode" = "--image-only" ]; then
  # The image holds the binary plus the system libraries it and its unpacked payload load
  # (glibc, libm, libgcc_s, zlib): found with ldd over the standalone build. Nothing is pulled.
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/tmp" "$root/data" "$root/etc"
  cp "$out/shoal-agent" "$root/bin/shoal-agent"
  libs=$(for file in "$out/shoal-agent" $(find "$out/nuitka/agent.dist" -type f); do
           ldd "$file" 2>/dev/null | grep -o '/[^ ]*' || true
         done | grep -v "/agent.dist/" | sort -u)
  for lib in $libs; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  chmod 1777 "$root/tmp"
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
  echo 'root:x:0:' > "$root/etc/group"
  echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
  tar -C "$root" -c . | "$docker" import - "shoal/agent-rootfs:$version" >/dev/null
  "$docker" build -q -f build/Dockerfile.agent --build-arg "ROOTFS=shoal/agent-rootfs:$version" \
    -t "shoal/agent:$version" -t shoal/agent:latest build >/dev/null
  echo "built image shoal/agent:$version"
fi
