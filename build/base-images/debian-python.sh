#!/usr/bin/env bash
# Debian bookworm (minbase) with python3 as a local image, built offline for Docker (debootstrap +
# `docker import`, ~35 s the first time, about 130 MB). The base of the Python plugins.
# Skips the build when the image exists. Usage: debian-python.sh [IMAGE_NAME]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/_debootstrap.sh"
name=${1:-shoal/debian-python:bookworm}
if image_exists "$name"; then
  echo "$name already exists"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf --one-file-system "$work"' EXIT
# python3-minimal lacks json; python3 brings the whole standard library.
make_root "$work/root" python3,ca-certificates
slim_root "$work/root"
import_root "$work/root" "$name" -c 'ENV LANG=C.UTF-8 PYTHONUNBUFFERED=1' -c 'CMD ["python3"]'
echo "built $name"
