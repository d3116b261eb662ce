// The node config panel's inputs → the node in the editor's graph. The server renders the panel
// (pipeline_panel.py); each input says where its value goes (data-path, e.g. config.params.script)
// and how to read it (data-type). A value that does not parse is marked and left out, never
// half-applied; a reference picker inserts `${{ … }}` at the cursor of its field.
const SKIP = Symbol("skip");
const ID_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function parseEnv(raw) {
  const env = {};
  for (const line of raw.split("\n")) {
    if (!line.trim()) continue;
    const at = line.indexOf("=");
    if (at < 1) throw new Error(line);
    env[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return env;
}

// undefined = remove the setting (back to the default); numbers stay text when they are not
// numbers, so `${{ nodes.x.outputs.port }}` can stand for one.
export function parseField(el) {
  const raw = el.value, type = el.dataset.type;
  el.removeAttribute("aria-invalid");
  if (type === "string") return raw === "" ? undefined : raw;
  if (raw.trim() === "") return undefined;
  if (type === "integer") return /^-?\d+$/.test(raw.trim()) ? parseInt(raw, 10) : raw;
  if (type === "number") return isFinite(Number(raw)) ? Number(raw) : raw;
  try {
    if (type === "choice" || type === "json") return JSON.parse(raw);
    if (type === "env") return parseEnv(raw);
  } catch (err) {
    el.setAttribute("aria-invalid", "true");
    return SKIP;
  }
  return raw;
}

export function setPath(target, path, value) {
  const keys = path.split(".");
  const trail = [target];
  for (const key of keys.slice(0, -1)) {
    const here = trail[trail.length - 1];
    if (typeof here[key] !== "object" || here[key] === null) here[key] = {};
    trail.push(here[key]);
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete trail[trail.length - 1][last];
  else trail[trail.length - 1][last] = value;
  for (let i = keys.length - 2; i >= 1; i--) { // drop emptied settings groups, keep params
    if (keys[i] !== "params" && !Object.keys(trail[i + 1]).length) delete trail[i][keys[i]];
  }
}

export function wirePanel(ed, panel) {
  function applyField(el) {
    const body = panel.querySelector("[data-node]");
    const node = body && ed.nodeById(body.dataset.node);
    if (!node || ed.readonly) return;
    if (el.dataset.path === "id") {
      const wanted = el.value.trim();
      const ok = ID_RE.test(wanted) && (wanted === node.id || !ed.nodeById(wanted));
      el.toggleAttribute("aria-invalid", !ok);
      if (ok && wanted !== node.id) {
        body.dataset.node = wanted;
        ed.renameNode(node.id, wanted);
      }
      return;
    }
    const value = parseField(el);
    if (value === SKIP) return;
    setPath(node, el.dataset.path, value);
    ed.markDirty();
  }
  panel.addEventListener("input", (e) => e.target.dataset.path && applyField(e.target));
  panel.addEventListener("change", (e) => {
    const el = e.target;
    if (!el.classList.contains("pl-ref")) {
      if (el.dataset.path) applyField(el);
      return;
    }
    const input = document.getElementById(el.dataset.target);
    if (input && el.value) {
      const at = input.selectionStart ?? input.value.length;
      input.value = input.value.slice(0, at) + el.value + input.value.slice(input.selectionEnd ?? at);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.focus();
    }
    el.value = "";
  });
}
