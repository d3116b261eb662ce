// The pipeline editor: a canvas of nodes and "after" edges, no build step, no dependencies.
// State is the graph as the API stores it ({nodes, edges, layout}); the server renders each
// node's config panel (HTMX) and judges the graph as it is edited (pipeline-checks.js) and on
// save (PUT /api/v1/projects/{id}/pipeline), with the same checks; their issues are drawn on the
// nodes they name. Unsaved changes warn before leaving.
import { wireChecks } from "./pipeline-checks.js";
import { wirePanel } from "./pipeline-panel.js";
import { curve, layeredPositions } from "./pipeline-layout.js";
import { drag, wirePalette } from "./pipeline-palette.js";
import { download, save } from "./pipeline-save.js";

const dataEl = document.getElementById("pl-data");
if (dataEl) start(JSON.parse(dataEl.textContent));

function start(data) {
  const $ = (id) => document.getElementById(id);
  const canvas = $("pl-canvas"), world = $("pl-world"), edgeLayer = $("pl-edge-layer");
  const panel = $("pl-panel"), errorsBox = $("pl-errors"), status = $("pl-status");
  const readonly = data.readonly;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
  const graph = {
    nodes: data.graph.nodes || [], edges: data.graph.edges || [], layout: data.graph.layout || {},
  };
  const NODE_W = 180, PORT_Y = 30;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const view = { x: 40, y: 40, k: 1 };
  // Shared with pipeline-panel.js and pipeline-save.js; functions are filled in below.
  const ed = { data, graph, readonly, csrf, baseVersion: data.base_version, selected: null,
    dirty: false, issues: {} };

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
    ed.dirty = true;
    status.textContent = "unsaved changes";
    status.className = "badge warn";
    if (ed.checkSoon) ed.checkSoon();
  }
  window.addEventListener("beforeunload", (event) => {
    if (ed.dirty) { event.preventDefault(); event.returnValue = ""; }
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
      const isSel = ed.selected && ed.selected.type === "node" && ed.selected.id === node.id;
      el.className = `pl-node pl-${node.kind}${isSel ? " selected" : ""}${ed.issues[node.id] ? " has-error" : ""}`;
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
      for (const message of ed.issues[node.id] || []) {
        const li = document.createElement("li");
        li.textContent = message;
        el.querySelector(".node-errors").append(li);
      }
      world.append(el);
    }
    drawEdges();
  }
  function drawEdges(extra) {
    edgeLayer.replaceChildren();
    graph.edges.forEach((edge, index) => {
      if (!nodeById(edge.from) || !nodeById(edge.to)) return;
      const a = pos(edge.from), b = pos(edge.to);
      const d = curve(a.x + NODE_W + 9, a.y + PORT_Y, b.x - 11, b.y + PORT_Y);
      const isSel = ed.selected && ed.selected.type === "edge" && ed.selected.index === index;
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
    if (readonly || !ed.selected) return;
    if (ed.selected.type === "node") {
      const id = ed.selected.id;
      graph.nodes = graph.nodes.filter((n) => n.id !== id);
      graph.edges = graph.edges.filter((e) => e.from !== id && e.to !== id);
      delete graph.layout[id];
      delete ed.issues[id];
    } else {
      graph.edges.splice(ed.selected.index, 1);
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
    if (ed.selected && ed.selected.id === oldId) ed.selected.id = newId;
    markDirty();
    render();
  }
  function autoLayout() {
    Object.assign(graph.layout, layeredPositions(graph));
    markDirty();
    render();
    fit();
  }

  // ---- selection and the server-rendered panel ------------------------------------------
  function select(what) {
    ed.selected = what;
    render();
    if (!what || what.type !== "node") {
      panel.innerHTML = '<p class="muted">Select a node to configure it.</p>';
      return;
    }
    htmx.ajax("POST", `/projects/${data.project_id}/pipeline/panel`, {
      target: "#pl-panel", swap: "innerHTML", headers: { "X-CSRF-Token": csrf },
      values: { graph: JSON.stringify(graph), node: what.id, readonly: readonly ? "1" : "" },
    });
  }

  // ---- pointer: move, connect, pan, palette drag ----------------------------------------
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
      if (!ed.selected || ed.selected.id !== id) select({ type: "node", id });
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
      }, () => { if (!moved && ed.selected) select(null); });
    }
    canvas.focus({ preventScroll: true });
  });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    zoomAt(e.clientX, e.clientY, Math.exp(-e.deltaY * 0.0015));
  }, { passive: false });
  wirePalette(canvas, (kind, ref, clientX, clientY) => {
    const p = toWorld(clientX, clientY);
    addNode(kind, ref, p.x - 20, p.y - PORT_Y);
  }, (kind, ref) => {
    const r = canvas.getBoundingClientRect();
    const p = toWorld(r.left + r.width / 2, r.top + r.height / 2);
    const step = (graph.nodes.length % 6) * 40; // cascade, so added nodes never hide each other
    addNode(kind, ref, p.x - NODE_W / 2 + step, p.y - 60 + step * 1.5);
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
  on("pl-save", () => save(ed, { button: $("pl-save"), message: $("pl-message"), status, errorsBox }));
  on("pl-download", () => download(ed));

  // A graph written through the API may have no layout: place those nodes by run order.
  const placed = layeredPositions(graph);
  for (const n of graph.nodes) if (!graph.layout[n.id]) graph.layout[n.id] = placed[n.id];
  Object.assign(ed, { nodeById, catalogName, markDirty, render, select, renameNode });
  wirePanel(ed, panel);
  wireChecks(ed, { world, panel, shell: canvas.closest(".pl-shell") });
  applyView();
  render();
  if (graph.nodes.length) fit();
  canvas.dataset.ready = "1"; // every handler is bound: a click now does what it says
}
