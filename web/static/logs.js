// Live log viewer: follows one service over SSE, pause/resume, filter, download; keeps at most
// MAX_LINES in the page and says how many older lines it dropped.
const MAX_LINES = 5000;

function setupLogs(box) {
  const select = box.querySelector(".logs-service");
  const search = box.querySelector(".logs-search");
  const toggle = box.querySelector(".logs-toggle");
  const status = box.querySelector(".logs-status");
  const pre = box.querySelector(".logs-lines");
  let lines = [], skipped = 0, paused = false, source = null, pending = false;

  function render() {
    pending = false;
    if (paused) return;
    const needle = search.value.toLowerCase();
    const shown = needle ? lines.filter((l) => l.toLowerCase().includes(needle)) : lines;
    const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 20;
    pre.textContent = (skipped ? `… ${skipped} earlier lines skipped\n` : "") + shown.join("\n");
    if (stick) pre.scrollTop = pre.scrollHeight;
  }
  const schedule = () => { if (!pending) { pending = true; requestAnimationFrame(render); } };

  function follow() {
    if (source) source.close();
    lines = []; skipped = 0; schedule();
    if (!select.value) return;
    const url = `${box.dataset.logsUrl}?service=${encodeURIComponent(select.value)}&follow=true&tail=500`;
    source = new EventSource(url);
    status.textContent = `Following ${select.value}…`;
    source.addEventListener("log", (e) => {
      lines.push(JSON.parse(e.data).line);
      if (lines.length > MAX_LINES) { skipped += lines.length - MAX_LINES; lines = lines.slice(-MAX_LINES); }
      schedule();
    });
    source.addEventListener("error", (e) => {
      if (e.data) status.textContent = e.data;
    });
    source.addEventListener("end", () => { status.textContent = "The log stream ended."; source.close(); });
  }

  select.addEventListener("change", follow);
  search.addEventListener("input", schedule);
  toggle.addEventListener("click", () => {
    paused = !paused;
    toggle.textContent = paused ? "Resume" : "Pause";
    if (!paused) schedule();
  });
  box.querySelector(".logs-download").addEventListener("click", () => {
    const blob = new Blob([lines.join("\n") + "\n"], { type: "text/plain" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${box.dataset.deployment}-${select.value}.log`;
    link.click();
    URL.revokeObjectURL(link.href);
  });
  follow();
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("logs");
  if (box) setupLogs(box);
});
