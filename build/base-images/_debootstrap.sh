#!/usr/bin/env bash
# Shared by the Debian base-image scripts (sourced, not run): make a minimal bookworm root in a
# temporary folder, and import a root folder as a local image. Offline for Docker: nothing is
# pulled from an image registry; only Debian's package mirror is used, and its packages are
# cached under $SHOAL_DEBOOTSTRAP_CACHE so a rebuild downloads nothing.
set -euo pipefail
docker=${DOCKER:-/usr/bin/docker}
debootstrap=${DEBOOTSTRAP:-/usr/sbin/debootstrap}
cache_dir=${SHOAL_DEBOOTSTRAP_CACHE:-/var/cache/shoal/debootstrap}
# debootstrap's own default mirror unless DEBIAN_MIRROR names another.
mirror=${DEBIAN_MIRROR:-}

image_exists() {
  "$docker" image inspect "$1" >/dev/null 2>&1
}

# make_root DIR PACKAGES: minbase bookworm with the comma-separated PACKAGES in DIR.
make_root() {
  local root=$1 packages=$2
  if [ ! -x "$debootstrap" ]; then
    echo "debootstrap is missing: apt-get install -y debootstrap" >&2
    exit 1
  fi
  mkdir -p "$cache_dir"
  "$debootstrap" --variant=minbase --include="$packages" --cache-dir="$cache_dir" \
    bookworm "$root" ${mirror:+"$mirror"} >"$root.log" 2>&1 || {
    tail -n 30 "$root.log" >&2
    exit 1
  }
  rm -f "$root.log"
}

# slim_root DIR: drop what an image never needs (apt lists, docs, caches) to keep it small.
slim_root() {
  local root=$1
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
}

# import_root DIR IMAGE [docker import -c CHANGES...]
import_root() {
  local root=$1 image=$2
  shift 2
  tar --numeric-owner -C "$root" -c . |
    "$docker" import -c 'LABEL org.shoal.base-image=1' "$@" - "$image" >/dev/null
}
