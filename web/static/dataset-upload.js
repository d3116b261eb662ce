// The Datasets page's upload: the file goes as the body of PUT /api/v1/projects/{id}/datasets/{name},
// so the browser streams it and the server writes it to disk as it arrives (a form post would be
// parsed in memory). A refusal is shown under the form, with what was typed kept.
(() => {
  const form = document.getElementById("dataset-upload");
  if (!form) return;
  const status = document.getElementById("dataset-upload-status");
  const csrf = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.elements.name.value.trim();
    const file = form.elements.file.files[0];
    if (!name || !file) return;
    const button = form.querySelector("button");
    button.disabled = true;
    status.className = "";
    status.textContent = `Uploading ${file.name} (${file.size} bytes)…`;
    try {
      const answer = await fetch(`/api/v1/projects/${form.dataset.project}/datasets/${encodeURIComponent(name)}`, {
        method: "PUT",
        body: file,
        headers: { "Content-Type": "application/octet-stream", Accept: "application/json", "X-CSRF-Token": csrf() },
      });
      if (answer.ok) {
        window.location.reload();
        return;
      }
      const body = await answer.json().catch(() => ({}));
      status.className = "error";
      status.textContent = body.detail || `The upload failed (HTTP ${answer.status}).`;
    } catch (error) {
      status.className = "error";
      status.textContent = `The upload failed: ${error}`;
    } finally {
      button.disabled = false;
    }
  });
})();
