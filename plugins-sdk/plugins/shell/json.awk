# A small JSON reader and string encoder in portable awk (busybox, mawk, gawk), for plugins
# whose image has no Python. Run with LC_ALL=C so strings are handled as bytes.
#
# json_parse(text) reads a document into TYPE[path] ("object", "array", "string", "number",
# "boolean", "null") and VAL[path] (scalars, strings decoded); an object's keys are
# KEY[path, 1..COUNT[path]]. The root's path is "$", a member's is path SEP name. Returns 1, or
# 0 with the reason in JSON_ERROR.

BEGIN {
  SEP = "\034"
  for (i = 1; i < 32; i++) CTRL[sprintf("%c", i)] = i
  HEX = "0123456789abcdef"
}

function json_fail(message) {
  if (JSON_ERROR == "") JSON_ERROR = message " at character " POS
  return 0
}

function json_ws(   c) {
  while (POS <= LEN) {
    c = substr(TEXT, POS, 1)
    if (c != " " && c != "\t" && c != "\n" && c != "\r") break
    POS++
  }
}

function json_parse(text) {
  TEXT = text; LEN = length(text); POS = 1; JSON_ERROR = ""
  if (!json_value("$")) return 0
  json_ws()
  if (POS <= LEN) return json_fail("unexpected data after the document")
  return 1
}

function json_value(path,   c) {
  json_ws()
  if (POS > LEN) return json_fail("unexpected end")
  c = substr(TEXT, POS, 1)
  if (c == "{") return json_object(path)
  if (c == "[") return json_array(path)
  if (c == "\"") {
    if (!json_string()) return 0
    TYPE[path] = "string"; VAL[path] = STR
    return 1
  }
  if (substr(TEXT, POS, 4) == "true") { POS += 4; TYPE[path] = "boolean"; VAL[path] = "true"; return 1 }
  if (substr(TEXT, POS, 5) == "false") { POS += 5; TYPE[path] = "boolean"; VAL[path] = "false"; return 1 }
  if (substr(TEXT, POS, 4) == "null") { POS += 4; TYPE[path] = "null"; VAL[path] = ""; return 1 }
  if (match(substr(TEXT, POS), /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) {
    TYPE[path] = "number"; VAL[path] = substr(TEXT, POS, RLENGTH); POS += RLENGTH
    return 1
  }
  return json_fail("unexpected character '" c "'")
}

function json_object(path,   n, key, c) {
  POS++; TYPE[path] = "object"; COUNT[path] = 0; n = 0
  json_ws()
  if (substr(TEXT, POS, 1) == "}") { POS++; return 1 }
  while (1) {
    json_ws()
    if (substr(TEXT, POS, 1) != "\"") return json_fail("expected a quoted key")
    if (!json_string()) return 0
    key = STR
    json_ws()
    if (substr(TEXT, POS, 1) != ":") return json_fail("expected ':'")
    POS++
    if (!((path SEP key) in TYPE)) { n++; KEY[path, n] = key; COUNT[path] = n }
    if (!json_value(path SEP key)) return 0
    json_ws()
    c = substr(TEXT, POS, 1); POS++
    if (c == "}") return 1
    if (c != ",") return json_fail("expected ',' or '}'")
  }
}

function json_array(path,   n, c) {
  POS++; TYPE[path] = "array"; COUNT[path] = 0; n = 0
  json_ws()
  if (substr(TEXT, POS, 1) == "]") { POS++; return 1 }
  while (1) {
    if (!json_value(path SEP n)) return 0
    n++; COUNT[path] = n
    json_ws()
    c = substr(TEXT, POS, 1); POS++
    if (c == "]") return 1
    if (c != ",") return json_fail("expected ',' or ']'")
  }
}

function json_hex4(   i, c, d, value) {
  value = 0
  for (i = 0; i < 4; i++) {
    c = tolower(substr(TEXT, POS + i, 1)); d = index(HEX, c)
    if (c == "" || d == 0) return -1
    value = value * 16 + d - 1
  }
  POS += 4
  return value
}

function json_utf8(cp) {
  if (cp < 128) return sprintf("%c", cp)
  if (cp < 2048) return sprintf("%c%c", 192 + int(cp / 64), 128 + cp % 64)
  if (cp < 65536) return sprintf("%c%c%c", 224 + int(cp / 4096), 128 + int(cp / 64) % 64, 128 + cp % 64)
  return sprintf("%c%c%c%c", 240 + int(cp / 262144), 128 + int(cp / 4096) % 64, \
                 128 + int(cp / 64) % 64, 128 + cp % 64)
}

# Reads the string starting at POS (on its quote) into STR.
function json_string(   c, e, cp, low) {
  POS++; STR = ""
  while (POS <= LEN) {
    c = substr(TEXT, POS, 1); POS++
    if (c == "\"") return 1
    if (c != "\\") { STR = STR c; continue }
    e = substr(TEXT, POS, 1); POS++
    if (e == "n") STR = STR "\n"
    else if (e == "t") STR = STR "\t"
    else if (e == "r") STR = STR "\r"
    else if (e == "b") STR = STR "\b"
    else if (e == "f") STR = STR "\f"
    else if (e == "\"" || e == "\\" || e == "/") STR = STR e
    else if (e == "u") {
      cp = json_hex4()
      if (cp < 0) return json_fail("bad \\u escape")
      if (cp >= 55296 && cp < 56320 && substr(TEXT, POS, 2) == "\\u") {
        POS += 2; low = json_hex4()
        if (low < 56320 || low >= 57344) return json_fail("bad surrogate pair")
        cp = 65536 + (cp - 55296) * 1024 + (low - 56320)
      }
      STR = STR json_utf8(cp)
    } else return json_fail("bad escape '\\" e "'")
  }
  return json_fail("unterminated string")
}

# A JSON string literal for s.
function json_quote(s,   out, i, n, c) {
  out = "\""; n = length(s)
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    if (c == "\"") out = out "\\\""
    else if (c == "\\") out = out "\\\\"
    else if (c == "\n") out = out "\\n"
    else if (c == "\t") out = out "\\t"
    else if (c == "\r") out = out "\\r"
    else if (c in CTRL) out = out sprintf("\\u%04x", CTRL[c])
    else out = out c
  }
  return out "\""
}

# s as one single-quoted shell word.
function shell_quote(s) {
  gsub(/'/, "'\"'\"'", s)
  return "'" s "'"
}
