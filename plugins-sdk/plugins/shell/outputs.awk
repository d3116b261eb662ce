# Turns the KEY=VALUE lines a script wrote to $SHOAL_OUTPUTS into {"outputs": {...}}.
# Needs json.awk first. Lines without "=" are skipped (and reported on stderr).

{
  eq = index($0, "=")
  if (eq < 2) { if ($0 != "") print "shell: ignored output line without KEY=: " $0 > "/dev/stderr"; next }
  key = substr($0, 1, eq - 1)
  if (!(key in VALUE)) { N++; ORDER[N] = key }
  VALUE[key] = substr($0, eq + 1)
}

END {
  out = ""
  for (i = 1; i <= N; i++) out = out (i > 1 ? "," : "") json_quote(ORDER[i]) ":" json_quote(VALUE[ORDER[i]])
  print "{\"outputs\":{" out "}}"
}
