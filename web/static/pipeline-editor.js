// The pipeline editor: a canvas of nodes and "after" edges, no build step, no dependencies.
// State is the graph as the API stores it ({nodes, edges, layout}); the server renders each
// node's config panel (HTMX) and judges the graph on save (PUT /api/v1/projects/{id}/pipeline),
// whose issues are drawn on the nodes they name. Unsaved changes warn before leaving.
(() => {
  "use strict";
  const dataEl = document.getElementById("pl-data");
  if (!dataEl) return;
  const data = JSON.parse(dataEl.textContent);
  const $ = (id) => document.getElementById(id);
  const canvas = $("pl-canvas"), world = $("pl-world"), edgeLayer = $("pl-edge-layer");
  const panel = $("pl-panel"), errorsBox = $("pl-errors"), status = $("pl-status");
  const readonly = data.readonly;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
  const graph = {
    nodes: data.graph.nodes || [], edges: data.graph.edges || [], layout: data.graph.layout || {},
  };
  const NODE_W = 180, PORT_Y = 30, ID_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const view = { x: 40, y: 40, k: 1 };
  let baseVersion = data.base_version, selected = null, dirty = false, issues = {};

  // ---- state helpers ------------------------------------------------------------------
  const nodeById = (id) => graph.nodes.find((n) => n.id === id);
  const pos = (id) => graph.layout[id] || (graph.layout[id] = { x: 0, y: 0 });
  function catalogName(node) {
    const c = node.config || {};
    const item = node.kind === "service" ? data.services[c.service_id] : data.plugins[c.plugin_id];
    return item ? item.name : "(not in the catalog)";
  }
  function markDirty() {
    if (readonly) return;
    dirty = true;
    status.textContent = "unsaved changes";
    status.className = "badge warn";
  }
  window.addEventListener("beforeunload", (event) => {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
  function uniqueId(base) {
    base = (base || "node").toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "node";
    base = base.slice(0, 58);
    let id = base, n = 2;
    while (nodeById(id)) id = `${base}-${n++}`;
    return id;
  }

  // ---- drawing --------------------------------------------------------------------------
  function render() {
    world.querySelectorAll(".pl-node").forEach((el) => el.remove());
    for (const node of graph.nodes) {
      const el = document.createElement("div");
      const isSel = selected && selected.type === "node" && selected.id === node.id;
      el.className = `pl-node pl-${node.kind}${isSel ? " selected" : ""}${issues[node.id] ? " has-error" : ""}`;
      el.dataset.id = node.id;
      const p = pos(node.id);
      el.style.left = `${p.x}px`;
      el.style.top = `${p.y}px`;
      el.innerHTML = '<span class="pl-port pl-in" title="runs after what connects here"></span>' +
        '<strong class="pl-title"></strong><small class="pl-sub"></small>' +
        '<span class="pl-port pl-out" title="drag onto a node that runs after this one"></span>' +
        '<ul class="node-errors"></ul>';
      el.querySelector(".pl-title").textContent = node.id;
      el.querySelector(".pl-sub").textContent = `${node.kind} · ${catalogName(node)}`;
      for (const message of issues[node.id] || []) {
        const li = document.createElement("li");
        li.textContent = message;
        el.querySelector(".node-errors").append(li);
      }
      world.append(el);
    }
    drawEdges();
  }
  function curve(x1, y1, x2, y2) {
    const bend = Math.max(40, Math.abs(x2 - x1) / 2);
    return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
  }
  function drawEdges(extra) {
    edgeLayer.replaceChildren();
    graph.edges.forEach((edge, index) => {
      if (!nodeById(edge.from) || !nodeById(edge.to)) return;
      const a = pos(edge.from), b = pos(edge.to);
      const d = curve(a.x + NODE_W + 9, a.y + PORT_Y, b.x - 11, b.y + PORT_Y);
      const isSel = selected && selected.type === "edge" && selected.index === index;
      for (const cls of ["pl-edge", "pl-edge-hit"]) {
        const path = document.createElementNS(SVG_NS, "path");
        path.setAttribute("d", d);
        path.setAttribute("class", cls + (isSel ? " selected" : ""));
        path.dataset.index = index;
        path.dataset.edge = `${edge.from}->${edge.to}`;
        edgeLayer.append(path);
      }
    });
    if (extra) {
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", extra);
      path.setAttribute("class", "pl-edge pending");
      edgeLayer.append(path);
    }
  }
  function applyView() {
    world.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.k})`;
  }
  function toWorld(clientX, clientY) {
    const r = canvas.getBoundingClientRect();
    return { x: (clientX - r.left - view.x) / view.k, y: (clientY - r.top - view.y) / view.k };
  }
  function zoomAt(clientX, clientY, factor) {
    const k = Math.min(2.5, Math.max(0.25, view.k * factor));
    const r = canvas.getBoundingClientRect();
    const px = clientX - r.left, py = clientY - r.top;
    view.x = px - ((px - view.x) * k) / view.k;
    view.y = py - ((py - view.y) * k) / view.k;
    view.k = k;
    applyView();
  }
  function zoomCenter(factor) {
    const r = canvas.getBoundingClientRect();
    zoomAt(r.left + r.width / 2, r.top + r.height / 2, factor);
  }
  function fit() {
    if (!graph.nodes.length) return;
    const xs = graph.nodes.map((n) => pos(n.id).x), ys = graph.nodes.map((n) => pos(n.id).y);
    const minX = Math.min(...xs), minY = Math.min(...ys);
    const w = Math.max(...xs) - minX + NODE_W, h = Math.max(...ys) - minY + 90;
    const r = canvas.getBoundingClientRect();
    view.k = Math.min(1.25, Math.max(0.25, Math.min((r.width - 60) / w, (r.height - 60) / h)));
    view.x = 30 - minX * view.k;
    view.y = 30 - minY * view.k;
    applyView();
  }

  // ---- changes ------------------------------------------------------------------------
  function addNode(kind, ref, x, y) {
    const item = kind === "service" ? data.services[ref] : data.plugins[ref];
    const id = uniqueId(item ? item.name : kind);
    const config = kind === "service" ? { service_id: Number(ref) } : { plugin_id: Number(ref), params: {} };
    graph.nodes.push({ id, kind, config });
    graph.layout[id] = { x: Math.round(x), y: Math.round(y) };
    markDirty();
    select({ type: "node", id });
  }
  function addEdge(from, to) {
    if (from === to || graph.edges.some((e) => e.from === from && e.to === to)) return;
    graph.edges.push({ from, to });
    markDirty();
    drawEdges();
  }
  function deleteSelected() {
    if (readonly || !selected) return;
    if (selected.type === "node") {
      const id = selected.id;
      graph.nodes = graph.nodes.filter((n) => n.id !== id);
      graph.edges = graph.edges.filter((e) => e.from !== id && e.to !== id);
      delete graph.layout[id];
      delete issues[id];
    } else {
      graph.edges.splice(selected.index, 1);
    }
    markDirty();
    select(null);
  }
  function renameNode(oldId, newId) {
    const node = nodeById(oldId);
    node.id = newId;
    for (const e of graph.edges) {
      if (e.from === oldId) e.from = newId;
      if (e.to === oldId) e.to = newId;
    }
    graph.layout[newId] = graph.layout[oldId];
    delete graph.layout[oldId];
    if (selected && selected.id === oldId) selected.id = newId;
    markDirty();
    render();
  }
  function autoLayout() {
    const preds = Object.fromEntries(graph.nodes.map((n) => [n.id, []]));
    for (const e of graph.edges) if (preds[e.to] && preds[e.from]) preds[e.to].push(e.from);
    const depth = {};
    let changed = true, rounds = 0;
    graph.nodes.forEach((n) => (depth[n.id] = 0));
    while (changed && rounds++ < graph.nodes.length + 1) { // longest path; bounded for cycles
      changed = false;
      for (const n of graph.nodes) {
        const d = Math.max(0, ...preds[n.id].map((p) => depth[p] + 1));
        if (d !== depth[n.id] && d <= graph.nodes.length) { depth[n.id] = d; changed = true; }
      }
    }
    const rows = {};
    for (const n of graph.nodes) {
      const col = depth[n.id], row = (rows[col] = (rows[col] || 0) + 1) - 1;
      graph.layout[n.id] = { x: col * 240, y: row * 110 };
    }
    markDirty();
    render();
    fit();
  }

  // ---- selection and the server-rendered panel ------------------------------------------
  function select(what) {
    selected = what;
    render();
    if (!what || what.type !== "node") {
      panel.innerHTML = '<p class="muted">Select a node to configure it.</p>';
      return;
    }
    htmx.ajax("POST", `/projects/${data.project_id}/pipeline/panel`, {
      target: "#pl-panel", swap: "innerHTML", headers: { "X-CSRF-Token": csrf },
      values: { graph: JSON.stringify(graph), node: what.id },
    });
  }
  function parseField(el) {
    const raw = el.value, type = el.dataset.type;
    el.removeAttribute("aria-invalid");
    if (raw.trim() === "" && type !== "string") return undefined;
    if (type === "string") return raw === "" && !el.required ? undefined : raw;
    if (type === "integer") return /^-?\d+$/.test(raw.trim()) ? parseInt(raw, 10) : raw;
    if (type === "number") return raw.trim() !== "" && isFinite(Number(raw)) ? Number(raw) : raw;
    try {
      if (type === "choice" || type === "json") return JSON.parse(raw);
      if (type === "env") {
        const env = {};
        for (const line of raw.split("\n")) {
          if (!line.trim()) continue;
          const at = line.indexOf("=");
          if (at < 1) throw new Error(line);
          env[line.slice(0, at).trim()] = line.slice(at + 1);
        }
        return env;
      }
    } catch (err) {
      el.setAttribute("aria-invalid", "true");
      return parseField.SKIP;
    }
    return raw;
  }
  parseField.SKIP = Symbol("skip");
  function setPath(target, path, value) {
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
  function applyField(el) {
    const body = panel.querySelector("[data-node]");
    const node = body && nodeById(body.dataset.node);
    if (!node || readonly) return;
    if (el.dataset.path === "id") {
      const wanted = el.value.trim();
      const ok = ID_RE.test(wanted) && (wanted === node.id || !nodeById(wanted));
      el.toggleAttribute("aria-invalid", !ok);
      if (ok && wanted !== node.id) { body.dataset.node = wanted; renameNode(node.id, wanted); }
      return;
    }
    const value = parseField(el);
    if (value === parseField.SKIP) return;
    setPath(node, el.dataset.path, value);
    markDirty();
  }
  panel.addEventListener("input", (e) => e.target.dataset.path && applyField(e.target));
  panel.addEventListener("change", (e) => {
    const el = e.target;
    if (el.classList.contains("pl-ref")) {
      const input = $(el.dataset.target);
      if (input && el.value) {
        const at = input.selectionStart ?? input.value.length;
        input.value = input.value.slice(0, at) + el.value + input.value.slice(input.selectionEnd ?? at);
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.focus();
      }
      el.value = "";
    } else if (el.dataset.path) applyField(el);
  });

  // ---- pointer: move, connect, pan, palette drag ----------------------------------------
  function drag(onMove, onUp) {
    const move = (e) => onMove(e);
    const up = (e) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      onUp(e);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }
  canvas.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    const nodeEl = e.target.closest(".pl-node");
    const start = { x: e.clientX, y: e.clientY };
    if (nodeEl && e.target.classList.contains("pl-out") && !readonly) {
      e.preventDefault();
      const from = nodeEl.dataset.id, a = pos(from);
      drag((m) => {
        const p = toWorld(m.clientX, m.clientY);
        drawEdges(curve(a.x + NODE_W + 9, a.y + PORT_Y, p.x, p.y));
      }, (u) => {
        const over = document.elementFromPoint(u.clientX, u.clientY);
        const target = over && over.closest(".pl-node");
        drawEdges();
        if (target) addEdge(from, target.dataset.id);
      });
    } else if (nodeEl) {
      e.preventDefault();
      const id = nodeEl.dataset.id, p0 = { ...pos(id) };
      if (!selected || selected.id !== id) select({ type: "node", id });
      let moved = false;
      drag((m) => {
        if (readonly) return;
        const el = world.querySelector(`.pl-node[data-id="${CSS.escape(id)}"]`);
        const p = pos(id);
        p.x = Math.round(p0.x + (m.clientX - start.x) / view.k);
        p.y = Math.round(p0.y + (m.clientY - start.y) / view.k);
        if (el) { el.style.left = `${p.x}px`; el.style.top = `${p.y}px`; }
        moved = true;
        drawEdges();
      }, () => moved && markDirty());
    } else if (e.target.classList.contains("pl-edge-hit")) {
      select({ type: "edge", index: Number(e.target.dataset.index) });
    } else {
      const v0 = { ...view };
      let moved = false;
      drag((m) => {
        view.x = v0.x + m.clientX - start.x;
        view.y = v0.y + m.clientY - start.y;
        moved = true;
        applyView();
      }, () => { if (!moved && selected) select(null); });
    }
    canvas.focus({ preventScroll: true });
  });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    zoomAt(e.clientX, e.clientY, Math.exp(-e.deltaY * 0.0015));
  }, { passive: false });
  document.querySelectorAll(".pl-item").forEach((item) => {
    const addAtCenter = () => {
      const r = canvas.getBoundingClientRect();
      const p = toWorld(r.left + r.width / 2, r.top + r.height / 2);
      const step = (graph.nodes.length % 6) * 40; // cascade, so added nodes never hide each other
      addNode(item.dataset.kind, item.dataset.ref, p.x - NODE_W / 2 + step, p.y - 60 + step * 1.5);
    };
    item.addEventListener("keydown", (e) => { if (e.key === "Enter") addAtCenter(); });
    item.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      const ghost = item.cloneNode(true);
      ghost.classList.add("pl-ghost");
      document.body.append(ghost);
      const place = (m) => { ghost.style.left = `${m.clientX + 4}px`; ghost.style.top = `${m.clientY + 4}px`; };
      place(e);
      const start = { x: e.clientX, y: e.clientY };
      drag(place, (u) => {
        ghost.remove();
        const r = canvas.getBoundingClientRect();
        const inside = u.clientX >= r.left && u.clientX <= r.right && u.clientY >= r.top && u.clientY <= r.bottom;
        if (Math.hypot(u.clientX - start.x, u.clientY - start.y) < 4) addAtCenter();
        else if (inside) {
          const p = toWorld(u.clientX, u.clientY);
          addNode(item.dataset.kind, item.dataset.ref, p.x - 20, p.y - PORT_Y);
        }
      });
    });
  });

  // ---- keyboard and toolbar -----------------------------------------------------------
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, textarea, select, [contenteditable]")) return;
    if (e.key === "Delete" || e.key === "Backspace") { e.preventDefault(); deleteSelected(); }
    if (e.key === "Escape") select(null);
  });
  const on = (id, fn) => { const el = $(id); if (el) el.addEventListener("click", fn); };
  on("pl-delete", deleteSelected);
  on("pl-layout", autoLayout);
  on("pl-fit", fit);
  on("pl-zoom-in", () => zoomCenter(1.2));
  on("pl-zoom-out", () => zoomCenter(1 / 1.2));
  on("pl-save", save);
  on("pl-download", () => { // the canvas as it is now, unsaved changes included, importable later
    const used = (kind) => Object.fromEntries(graph.nodes.filter((n) => n.kind === kind)
      .map((n) => [String(n.config[`${kind}_id`]), catalogName(n)]));
    const file = { shoal_pipeline: 1, project: data.project_name, version: baseVersion,
      catalog: { services: used("service"), plugins: used("plugin") }, ...graph };
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: "application/json" }));
    link.download = `${data.project_name}-pipeline-canvas.json`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });

  // ---- save -----------------------------------------------------------------------------
  function showErrors(title, lines) {
    errorsBox.replaceChildren();
    const strong = document.createElement("strong");
    strong.textContent = title;
    errorsBox.append(strong);
    const list = document.createElement("ul");
    for (const [nodeId, message] of lines) {
      const li = document.createElement("li");
      li.textContent = nodeId ? `${nodeId}: ${message}` : message;
      if (nodeId) li.addEventListener("click", () => select({ type: "node", id: nodeId }));
      list.append(li);
    }
    errorsBox.append(list);
    errorsBox.hidden = false;
  }
  async function save() {
    const button = $("pl-save"), message = $("pl-message");
    button.setAttribute("aria-busy", "true");
    errorsBox.hidden = true;
    let answer, body = {};
    try {
      answer = await fetch(`/api/v1/projects/${data.project_id}/pipeline`, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ ...graph, message: message.value, base_version: baseVersion }),
      });
      body = await answer.json().catch(() => ({}));
    } catch (err) {
      showErrors("Not saved: the server could not be reached. Your changes are still here.", []);
      return;
    } finally {
      button.removeAttribute("aria-busy");
    }
    if (answer.ok) {
      baseVersion = body.version;
      graph.nodes = body.nodes;
      graph.edges = body.edges;
      graph.layout = body.layout;
      issues = {};
      dirty = false;
      message.value = "";
      status.textContent = `saved as version ${body.version}`;
      status.className = "badge ok";
      render();
      htmx.trigger(document.body, "pipeline-saved");
      return;
    }
    issues = {};
    for (const issue of body.issues || []) {
      if (issue.node && nodeById(issue.node)) (issues[issue.node] = issues[issue.node] || []).push(issue.message);
    }
    render();
    const lines = (body.issues || []).map((i) => [i.node, i.message]);
    showErrors(body.detail || `Not saved (HTTP ${answer.status}).`, lines);
  }

  applyView();
  render();
  if (graph.nodes.length) fit();
  window.shoalPipeline = { graph, isDirty: () => dirty }; // for people poking from devtools
})();
