# Checks the stdin document of the shell plugin and prints shell assignments for plugin.sh.
# Bad input: writes the {"error": ...} document to the file named by -v errors=FILE, exits 2.
# Needs json.awk first: awk -f json.awk -f decode.awk -v errors=FILE INPUT

{ text = text (NR > 1 ? "\n" : "") $0 }

function bad(field, problem) {
  if (!(field in PROBLEM)) { NBAD++; BADFIELD[NBAD] = field }
  PROBLEM[field] = problem
}

function kind(path) { return (path in TYPE) ? TYPE[path] : "missing" }

# An optional object of strings at path; "field" names it in errors.
function strings_object(path, field,   i, key) {
  if (kind(path) == "missing") return
  if (kind(path) != "object") { bad(field, "expected object, got " kind(path)); return }
  for (i = 1; i <= COUNT[path]; i++) {
    key = KEY[path, i]
    if (kind(path SEP key) != "string") bad(field "." key, "expected string, got " kind(path SEP key))
  }
}

function optional_string(path, field) {
  if (kind(path) != "missing" && kind(path) != "string") bad(field, "expected string, got " kind(path))
}

function report(   i, field, fields, message) {
  fields = ""; message = ""
  for (i = 1; i <= NBAD; i++) {
    field = BADFIELD[i]
    fields = fields (i > 1 ? "," : "") json_quote(field) ":" json_quote(PROBLEM[field])
    message = message (i > 1 ? "; " : "") field ": " PROBLEM[field]
  }
  printf "{\"error\":{\"type\":\"invalid_input\",\"message\":%s,\"fields\":{%s}}}\n", \
    json_quote("invalid input: " message), fields > errors
  exit 2
}

function export_each(path, prefix,   i, key, name) {
  if (kind(path) != "object") return
  for (i = 1; i <= COUNT[path]; i++) {
    key = KEY[path, i]; name = key
    gsub(/[^A-Za-z0-9_]/, "_", name)
    print "export " prefix name "=" shell_quote(VAL[path SEP key])
  }
}

END {
  R = "$"; P = R SEP "params"; D = R SEP "deployment"
  if (!json_parse(text)) { bad("stdin", "not JSON: " JSON_ERROR); report() }
  if (TYPE[R] != "object") { bad("stdin", "expected a JSON object"); report() }
  action = VAL[R SEP "action"]
  if (kind(R SEP "action") != "string" || (action != "apply" && action != "rollback"))
    bad("action", "must be one of ['apply', 'rollback']")
  if (kind(P) != "object") bad("params", "expected object, got " kind(P))
  else {
    for (i = 1; i <= COUNT[P]; i++) {
      key = KEY[P, i]
      if (key != "script" && key != "rollback_script" && key != "env" && key != "shell")
        bad("params." key, "unknown parameter")
    }
    if (kind(P SEP "script") == "missing") bad("params.script", "required")
    else if (kind(P SEP "script") != "string") bad("params.script", "expected string, got " kind(P SEP "script"))
    else if (VAL[P SEP "script"] == "") bad("params.script", "must have at least 1 characters")
    optional_string(P SEP "rollback_script", "params.rollback_script")
    optional_string(P SEP "shell", "params.shell")
    strings_object(P SEP "env", "params.env")
    for (i = 1; i <= COUNT[P SEP "env"]; i++)
      if (KEY[P SEP "env", i] !~ /^[A-Za-z_][A-Za-z0-9_]*$/)
        bad("params.env." KEY[P SEP "env", i], "not a valid variable name")
  }
  if (kind(D) != "missing" && kind(D) != "object") bad("deployment", "expected object, got " kind(D))
  if (kind(D SEP "id") != "missing" && kind(D SEP "id") != "number") bad("deployment.id", "expected number")
  if (kind(D SEP "pipeline_version") != "missing" && kind(D SEP "pipeline_version") != "number")
    bad("deployment.pipeline_version", "expected number")
  optional_string(D SEP "name", "deployment.name")
  optional_string(D SEP "environment", "deployment.environment")
  strings_object(D SEP "urls", "deployment.urls")
  strings_object(R SEP "secrets", "secrets")
  if (NBAD > 0) report()

  shell = (kind(P SEP "shell") == "string" && VAL[P SEP "shell"] != "") ? VAL[P SEP "shell"] : "sh"
  print "action=" shell_quote(action)
  print "script=" shell_quote(VAL[P SEP "script"])
  print "rollback_script=" shell_quote(VAL[P SEP "rollback_script"])
  print "script_shell=" shell_quote(shell)
  print "export SHOAL_ACTION=" shell_quote(action)
  print "export SHOAL_DEPLOYMENT_ID=" shell_quote(VAL[D SEP "id"])
  print "export SHOAL_DEPLOYMENT_NAME=" shell_quote(VAL[D SEP "name"])
  print "export SHOAL_ENVIRONMENT=" shell_quote(VAL[D SEP "environment"])
  print "export SHOAL_PIPELINE_VERSION=" shell_quote(VAL[D SEP "pipeline_version"])
  export_each(D SEP "urls", "SHOAL_URL_")
  export_each(R SEP "secrets", "SHOAL_SECRET_")
  export_each(P SEP "env", "")
}
