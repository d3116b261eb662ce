// Live checks: while an admin edits, the draft graph is judged by the server with the save's own
// checks (POST /api/v1/projects/{id}/pipeline/check, nothing stored), 400 ms after the last
// change; a newer change cancels the request in flight, so an answer is never for an old draft.
// Each problem is drawn on its node (class has-error + its messages), in the node's panel (the
// input it is about is marked) and in a summary under the canvas (there it never shifts the
// canvas under the pointer); fixed problems go away.
const DELAY_MS = 400;

function item(text, onClick) {
  const li = document.createElement("li");
  li.textContent = text;
  if (onClick) li.addEventListener("click", onClick);
  return li;
}

// The panel input a problem's field is about: the longest data-path that contains it
// (config.env.DB_URL → the env textarea, config.params.script → that param's input).
function inputFor(panel, field) {
  let best = null;
  for (const el of panel.querySelectorAll("[data-path]")) {
    const path = el.dataset.path;
    const inside = field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`);
    if (inside && (!best || path.length > best.dataset.path.length)) best = el;
  }
  return best;
}

export function wireChecks(ed, { world, panel, shell }) {
  if (ed.readonly) return; // only those who may save may ask
  const url = `/api/v1/projects/${ed.data.project_id}/pipeline/check`;
  const summary = document.createElement("div");
  summary.id = "pl-problems";
  summary.className = "pl-problems";
  summary.setAttribute("aria-live", "polite");
  summary.hidden = true;
  shell.after(summary);
  let timer = 0, inFlight = null, judged = null; // judged: the draft the marks are for
  ed.problems = [];

  // Layout is not judged, so moving a node asks nothing new.
  const draft = () => JSON.stringify({ nodes: ed.graph.nodes, edges: ed.graph.edges });

  function soon() {
    clearTimeout(timer);
    if (inFlight) inFlight.abort();
    inFlight = null;
    timer = setTimeout(run, DELAY_MS);
  }

  async function run() {
    const body = draft();
    if (body === judged) return;
    const controller = new AbortController();
    inFlight = controller;
    let answer;
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": ed.csrf },
        body,
        signal: controller.signal,
      });
      answer = await response.json().catch(() => ({}));
      if (!response.ok) answer = { failed: answer.detail || `HTTP ${response.status}` };
    } catch (err) {
      answer = controller.signal.aborted ? null : { failed: "the server could not be reached" };
    }
    if (inFlight === controller) inFlight = null;
    if (!answer || controller.signal.aborted) return; // a newer change asks again
    if (answer.failed) {
      showFailure(answer.failed);
      return;
    }
    judged = body;
    show(answer.problems || []);
  }

  function show(problems) {
    ed.problems = problems;
    ed.issues = {};
    for (const { node, message } of problems) {
      if (node && ed.nodeById(node)) (ed.issues[node] ||= []).push(message);
    }
    markNodes();
    markPanel();
    drawSummary();
  }

  function markNodes() {
    for (const el of world.querySelectorAll(".pl-node")) {
      const messages = ed.issues[el.dataset.id] || [];
      el.classList.toggle("has-error", messages.length > 0);
      el.querySelector(".node-errors").replaceChildren(...messages.map((m) => item(m)));
    }
  }

  function markPanel() {
    panel.querySelectorAll(".pl-panel-problems").forEach((el) => el.remove());
    panel.querySelectorAll(".pl-field-problem").forEach((el) => el.classList.remove("pl-field-problem"));
    const body = panel.querySelector("[data-node]");
    const mine = body ? ed.problems.filter((p) => p.node === body.dataset.node) : [];
    if (!mine.length) return;
    const list = document.createElement("ul");
    list.className = "pl-panel-problems";
    list.setAttribute("role", "status");
    list.append(...mine.map((p) => item(p.message)));
    const heading = body.querySelector("h5");
    if (heading) heading.after(list);
    else body.prepend(list);
    for (const { field } of mine) {
      const input = field && inputFor(panel, field);
      if (input) input.classList.add("pl-field-problem");
    }
  }

  function drawSummary() {
    const problems = ed.problems;
    summary.replaceChildren();
    summary.hidden = !problems.length;
    if (!problems.length) return;
    const title = document.createElement("strong");
    title.textContent = problems.length === 1
      ? "1 problem: Save will refuse this pipeline until it is fixed."
      : `${problems.length} problems: Save will refuse this pipeline until they are fixed.`;
    const list = document.createElement("ul");
    for (const { node, message } of problems) {
      const go = node && ed.nodeById(node) ? () => ed.select({ type: "node", id: node }) : null;
      list.append(item(node ? `${node}: ${message}` : message, go));
    }
    summary.append(title, list);
  }

  function showFailure(reason) {
    summary.replaceChildren();
    const note = document.createElement("small");
    note.textContent = `The live check did not run (${reason}); Save still checks everything.`;
    summary.append(note);
    summary.hidden = false;
  }

  // A new panel (another node selected) gets its node's problems; so does a redrawn canvas.
  new MutationObserver(markPanel).observe(panel, { childList: true });
  document.body.addEventListener("pipeline-saved", () => {
    judged = draft(); // a saved graph passed these very checks
    show([]);
  });
  ed.checkSoon = soon;
  run();
}
