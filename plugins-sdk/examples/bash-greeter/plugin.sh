#!/usr/bin/env bash
# A Shoal plugin in Bash, without the SDK: jq reads stdin and writes stdout; logs go to stderr.
set -uo pipefail
input=$(cat)

fail() { # type, message, fields (a JSON object), exit code
  jq -nc --arg t "$1" --arg m "$2" --argjson f "$3" '{error: {type: $t, message: $m, fields: $f}}'
  echo "greeter: $2" >&2
  exit "$4"
}

# Exactly one document, an object (-s: empty input is [] here, not silently nothing).
if ! jq -se 'length == 1 and (.[0] | type == "object")' >/dev/null 2>&1 <<<"$input"; then
  fail invalid_input "stdin is not a JSON object" '{"stdin": "expected a JSON object"}' 2
fi
# Name every bad field at once, as the SDK does.
errors=$(jq -c '[
  (if (.action | IN("apply", "rollback")) then empty
   else {"action": "must be one of apply, rollback"} end),
  (if (.params | type) != "object" then {"params": "expected an object"}
   else (
     (if (.params.name | type) == "string" and (.params.name | length) > 0 then empty
      else {"params.name": "required, a non-empty string"} end),
     (.params | keys[] | select(. != "name") | {("params." + .): "unknown parameter"})
   ) end)
] | add // {}' <<<"$input")
if [ "$errors" != "{}" ]; then
  fail invalid_input "invalid input: $errors" "$errors" 2
fi

action=$(jq -r .action <<<"$input")
name=$(jq -r .params.name <<<"$input")
deployment=$(jq -r '.deployment.name // ""' <<<"$input")
if [ "$action" = rollback ]; then
  echo "greeter: goodbye $name" >&2
  echo '{"outputs": {}}'
  exit 0
fi
echo "greeter: hello $name from $deployment" >&2
jq -nc --arg g "hello $name" '{outputs: {greeting: $g}}'
