#!/usr/bin/env bash
# `make test`: the whole suite while the agent builds. The Nuitka build (~12 min cold on 2 cores,
# quick with ccache) runs in the background at a lower CPU priority; only the two artefact tests
# need it: they run last and wait for its exit code (tests/shoaltest/agent_build.py). A failed
# build fails them, and this script. Needs the venv and what `build/deps.sh test` starts.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/build/out
log=$out/agent-build.log
status=$out/agent-build.status
mkdir -p "$out"
rm -f "$status"

# setsid: its own process group, so the whole build (make, nuitka, scons, gcc) stops as one.
setsid nice -n 10 bash -c '
  "${MAKE:-make}" --no-print-directory agent >"$1" 2>&1 && code=0 || code=$?
  echo "agent build: exit $code after $SECONDS s" >>"$1"
  echo $code >"$2.tmp" && mv "$2.tmp" "$2"' build "$log" "$status" &
builder=$!
echo "test: building the agent in the background (pid $builder, log $log)"
stop_build() { [ -e "$status" ] || kill -TERM -- "-$builder" 2>/dev/null || true; }
trap stop_build EXIT

# On CI (CI set, as .ci/run's caller does) the build finishes first: a compiler on both cores
# makes the timed waits of the hub and browser tests flaky, and a verdict must not depend on
# load. A developer's `make test` overlaps the two.
if [ -n "${CI:-}" ]; then
  echo "test: CI: waiting for the agent build before the suite"
  while [ ! -e "$status" ]; do sleep 2; done
fi

tests=0
SHOAL_AGENT_BUILT=1 SHOAL_AGENT_BUILD_STATUS=$status .venv/bin/pytest -q || tests=$?

# The artefact tests waited for the build unless pytest stopped early or deselected them: then
# a failed suite ends the build, a passing one still waits for it (its result counts too).
[ $tests != 0 ] && exit $tests
wait "$builder" || true
build=$(cat "$status" 2>/dev/null || echo missing)
if [ "$build" != 0 ]; then
  echo "test: the agent build failed (exit $build); end of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
tail -n 1 "$log"
