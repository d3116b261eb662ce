#!/bin/sh
# shell: run a script for a one-off setup task, in whatever image this plugin is built on
# (busybox by default; any image with sh and awk: `python -m shoal_plugin build
# plugins/shell --base IMAGE`). No Python: the JSON is read and written by awk (json.awk).
#
# The script runs with `sh -e` (or params.shell), its stdout and stderr become the step's log.
# It sees SHOAL_ACTION, SHOAL_DEPLOYMENT_ID/NAME, SHOAL_ENVIRONMENT, SHOAL_PIPELINE_VERSION,
# SHOAL_URL_<node id>, SHOAL_SECRET_<name>, params.env, and SHOAL_INPUT_FILE (the whole stdin
# document). Lines KEY=VALUE it appends to "$SHOAL_OUTPUTS" become the step's outputs.
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)

log() { echo "shell: $*" >&2; }
fail() { printf '{"error":{"type":"%s","message":"%s"}}\n' "$1" "$2"; exit "$3"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-shell.XXXXXX") || fail exception "cannot create a temporary folder" 1
trap 'rm -rf "$work"' EXIT
cat >"$work/stdin.json" || fail exception "cannot read stdin" 1
if ! awk -v errors="$work/error.json" -f "$here/json.awk" -f "$here/decode.awk" "$work/stdin.json" >"$work/vars.sh"; then
  if [ -s "$work/error.json" ]; then
    cat "$work/error.json"
    log "$(cat "$work/error.json")"
    exit 2
  fi
  fail exception "reading the input failed" 1
fi
. "$work/vars.sh"

if [ "$action" = apply ]; then body=$script; else body=$rollback_script; fi
if [ -z "$body" ]; then
  log "no $action script: nothing to do"
  echo '{"outputs":{}}'
  exit 0
fi
export SHOAL_INPUT_FILE="$work/stdin.json" SHOAL_OUTPUTS="$work/outputs"
: >"$SHOAL_OUTPUTS"
printf '%s\n' "$body" >"$work/script"
log "running the $action script with $script_shell"
# In the background so that a SIGTERM (the runner's timeout) is handled at once, not after it.
"$script_shell" -e "$work/script" </dev/null >&2 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; log "terminated"; fail terminated "stopped by SIGTERM" 143' TERM INT
wait "$child"
status=$?
trap - TERM INT
if [ "$status" -ne 0 ]; then
  log "the $action script exited with $status"
  fail script_failed "the $action script exited with $status" 1
fi
awk -f "$here/json.awk" -f "$here/outputs.awk" "$SHOAL_OUTPUTS"
