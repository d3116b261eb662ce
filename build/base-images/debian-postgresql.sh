#!/usr/bin/env bash
# Debian bookworm (minbase) with python3 and PostgreSQL 15 as a local image, built offline for
# Docker (debootstrap, then apt-get inside the new root; ~60 s the first time). Two uses:
#   - a PostgreSQL service: `docker run -e POSTGRES_PASSWORD=... IMAGE` initialises a cluster on
#     first start (user postgres, scram-sha-256 over TCP from anywhere) and runs the server;
#   - the base of the PostgreSQL plugins, which need python3 and psql.
# Skips the build when the image exists. Usage: debian-postgresql.sh [IMAGE_NAME]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/_debootstrap.sh"
name=${1:-shoal/debian-postgresql:bookworm}
if image_exists "$name"; then
  echo "$name already exists"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf --one-file-system "$work"' EXIT
root=$work/root
make_root "$root" python3,ca-certificates
# Installing inside the root must neither start a server on this host (policy-rc.d says no) nor
# create a cluster at build time (the entrypoint makes one per container, with its password).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mkdir -p "$root/etc/postgresql-common"
echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.conf"
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15' \
  >"$work/apt.log" 2>&1 || {
  tail -n 30 "$work/apt.log" >&2
  exit 1
}
rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
cat >"$root/usr/local/bin/shoal-postgres" <<'SCRIPT'
#!/bin/sh
# Entrypoint: create the cluster on first start, then run PostgreSQL in the foreground.
set -eu
bin=/usr/lib/postgresql/15/bin
data=${PGDATA:-/var/lib/postgresql/data}
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root: own the data folder, then run this script as postgres.
  mkdir -p "$data"
  chown -R postgres:postgres "$data"
  chmod 700 "$data"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$data/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
  pwfile=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
  "$bin/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  rm -f "$pwfile"
  echo 'host all all 0.0.0.0/0 scram-sha-256' >>"$data/pg_hba.conf"
  echo 'host all all ::/0 scram-sha-256' >>"$data/pg_hba.conf"
fi
exec "$bin/postgres" -D "$data" -c listen_addresses='*' -c unix_socket_directories=/tmp "$@"
SCRIPT
chmod 755 "$root/usr/local/bin/shoal-postgres"
mkdir -p "$root/var/lib/postgresql/data"
chroot "$root" chown -R postgres:postgres /var/lib/postgresql
chmod 700 "$root/var/lib/postgresql/data"
slim_root "$root"
pg_uid=$(chroot "$root" id -u postgres)
import_root "$root" "$name" -c 'ENV LANG=C.UTF-8 PYTHONUNBUFFERED=1 PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin' \
  -c 'EXPOSE 5432' -c "LABEL org.shoal.postgres-uid=$pg_uid" \
  -c 'ENTRYPOINT ["/usr/local/bin/shoal-postgres"]'
echo "built $name"
