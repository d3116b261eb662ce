#!/usr/bin/env bash
# Build a tiny busybox image offline (no registry needed): Debian's busybox-static copied into
# an empty root with its applet links, then `docker import`. Usage: busybox.sh [IMAGE_NAME]
set -euo pipefail
name=${1:-shoal-test/busybox:latest}
docker=${DOCKER:-/usr/bin/docker}
if "$docker" image inspect "$name" >/dev/null 2>&1; then
  echo "$name already exists"
  exit 0
fi
# Debian's busybox-static puts a static binary here; a dynamic one would not run in the image.
busybox=/bin/busybox
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/etc"
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
chmod 1777 "$root/tmp"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
# busybox httpd serves /www by default in our images; `true` is not an applet everywhere.
echo 'shoal busybox' > "$root/www/index.html"
tar -C "$root" -c . | "$docker" import \
  -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - "$name" >/dev/null
echo "built $name"
