// Saving the editor's graph through the JSON API, and keeping the canvas as a file.
// A refused save draws each issue on its node and lists them all; a conflict (another admin
// saved since) says so and changes nothing here, so the canvas can still be downloaded.

function showErrors(ed, box, title, issues) {
  box.replaceChildren();
  const strong = document.createElement("strong");
  strong.textContent = title;
  const list = document.createElement("ul");
  for (const { node, message } of issues) {
    const li = document.createElement("li");
    li.textContent = node ? `${node}: ${message}` : message;
    if (node && ed.nodeById(node)) li.addEventListener("click", () => ed.select({ type: "node", id: node }));
    list.append(li);
  }
  box.append(strong, list);
  box.hidden = false;
}

export async function save(ed, { button, message, status, errorsBox }) {
  button.setAttribute("aria-busy", "true");
  errorsBox.hidden = true;
  let answer, body = {};
  try {
    answer = await fetch(`/api/v1/projects/${ed.data.project_id}/pipeline`, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": ed.csrf },
      body: JSON.stringify({ ...ed.graph, message: message.value, base_version: ed.baseVersion }),
    });
    body = await answer.json().catch(() => ({}));
  } catch (err) {
    showErrors(ed, errorsBox, "Not saved: the server could not be reached. Your changes are still here.", []);
    return;
  } finally {
    button.removeAttribute("aria-busy");
  }
  ed.issues = {};
  if (answer.ok) {
    ed.baseVersion = body.version;
    Object.assign(ed.graph, { nodes: body.nodes, edges: body.edges, layout: body.layout });
    ed.dirty = false;
    message.value = "";
    status.textContent = `saved as version ${body.version}`;
    status.className = "badge ok";
    ed.render();
    htmx.trigger(document.body, "pipeline-saved");
    return;
  }
  for (const issue of body.issues || []) {
    if (issue.node && ed.nodeById(issue.node)) (ed.issues[issue.node] ||= []).push(issue.message);
  }
  ed.render();
  showErrors(ed, errorsBox, body.detail || `Not saved (HTTP ${answer.status}).`, body.issues || []);
}

// The canvas as it is now, unsaved changes included, in the format the import reads.
export function download(ed) {
  const used = (kind) => Object.fromEntries(ed.graph.nodes.filter((n) => n.kind === kind)
    .map((n) => [String(n.config[`${kind}_id`]), ed.catalogName(n)]));
  const file = {
    shoal_pipeline: 1, project: ed.data.project_name, version: ed.baseVersion,
    catalog: { services: used("service"), plugins: used("plugin") }, ...ed.graph,
  };
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: "application/json" }));
  link.download = `${ed.data.project_name}-pipeline-canvas.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
