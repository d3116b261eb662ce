#!/usr/bin/env bash
# Build the plugins that ship with Shoal into local images, offline (base images from Debian
# packages, see build/base-images/), and optionally push them to a registry.
#   plugins-sdk/plugins/build.sh [--prefix shoal/plugin-] [--tag 0.1.0] [--push HOST[:PORT]]
# Images: <prefix><name>:<tag> for http-wait, postgres-database, sql-script, shell and
# postgres-restore.
# Env: PYTHON (with shoal_plugin installed; default the repo's .venv), DOCKER (docker CLI).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
prefix=shoal/plugin-
tag=0.1.0
push=
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --push) push=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
python=${PYTHON:-$repo/.venv/bin/python}
[ -x "$python" ] || python=python3
docker=${DOCKER:-$(command -v /usr/bin/docker || command -v docker)}
export DOCKER=$docker SHOAL_DOCKER=$docker

python_base=shoal/debian-python:bookworm
postgres_base=shoal/debian-postgresql:bookworm
busybox_base=shoal-test/busybox:latest
bash "$repo/build/base-images/debian-python.sh" "$python_base" >&2
bash "$repo/build/base-images/debian-postgresql.sh" "$postgres_base" >&2
bash "$repo/build/base-images/busybox.sh" "$busybox_base" >&2

for name in http-wait postgres-database sql-script shell postgres-restore; do
  case $name in
    http-wait) base=$python_base ;;
    postgres-database | sql-script | postgres-restore) base=$postgres_base ;;
    shell) base=$busybox_base ;;
  esac
  image="$prefix$name:$tag"
  "$python" -m shoal_plugin build "$here/$name" --tag "$image" --base "$base" >/dev/null
  echo "$image"
  if [ -n "$push" ]; then
    "$python" -m shoal_plugin push "$image" --registry "$push" >&2
  fi
done
