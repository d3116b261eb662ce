// A Shoal plugin in Node.js, without the SDK: one JSON document on stdin, one object on stdout.
const fs = require("fs");

function finish(document, code) {
  process.stdout.write(JSON.stringify(document) + "\n");
  process.exit(code);
}

function fail(type, message, fields, code) {
  console.error(`greeter: ${message}`);
  finish({ error: { type, message, ...(fields && { fields }) } }, code);
}

let input;
try {
  input = JSON.parse(fs.readFileSync(0, "utf8"));
} catch (error) {
  fail("invalid_input", `stdin is not JSON: ${error.message}`, { stdin: "not JSON" }, 2);
}
if (input === null || typeof input !== "object" || Array.isArray(input)) {
  fail("invalid_input", "stdin is not a JSON object", { stdin: "expected a JSON object" }, 2);
}

// Name every bad field at once.
const errors = {};
if (!["apply", "rollback"].includes(input.action)) {
  errors.action = "must be one of apply, rollback";
}
const params = input.params ?? {};
if (typeof params !== "object" || Array.isArray(params)) {
  errors.params = "expected an object";
} else {
  if (typeof params.name !== "string" || params.name === "") {
    errors["params.name"] = "required, a non-empty string";
  }
  for (const key of Object.keys(params)) {
    if (key !== "name") errors[`params.${key}`] = "unknown parameter";
  }
}
if (Object.keys(errors).length > 0) {
  fail("invalid_input", `invalid input: ${JSON.stringify(errors)}`, errors, 2);
}

try {
  if (input.action === "rollback") {
    console.error(`greeter: goodbye ${params.name}`);
    finish({ outputs: {} }, 0);
  }
  console.error(`greeter: hello ${params.name} from ${input.deployment?.name ?? ""}`);
  finish({ outputs: { greeting: `hello ${params.name}` } }, 0);
} catch (error) {
  console.error(error.stack); // an unexpected failure: traceback on stderr, exit 1
  fail("exception", String(error), null, 1);
}
