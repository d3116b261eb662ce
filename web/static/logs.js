// Live log viewer: follows one service over SSE, pause/resume, filter, timestamps on or off
// (remembered), download; keeps at most MAX_LINES in the page and says how many older lines
// it dropped. The server waits for a service that has not started yet and resumes after a
// restart; after a dropped connection EventSource reconnects and the server resumes from the
// last line's id, so nothing is shown twice.
const MAX_LINES = 5000;
const STAMPS_KEY = "shoal.logs.timestamps";

// Docker's RFC 3339 stamp as local "YYYY-MM-DD HH:MM:SS.mmm" (Date reads milliseconds only).
function localStamp(iso) {
  if (!iso) return "";
  const d = new Date(iso.replace(/(\.\d{3})\d*/, "$1"));
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function setupLogs(box) {
  const select = box.querySelector(".logs-service");
  const search = box.querySelector(".logs-search");
  const toggle = box.querySelector(".logs-toggle");
  const stamps = box.querySelector(".logs-stamps");
  const status = box.querySelector(".logs-status");
  const pre = box.querySelector(".logs-lines");
  const header = document.createElement("span");
  header.className = "logs-skipped";
  let lines = [], fresh = [], skipped = 0, paused = false, source = null, pending = false;
  let rebuild = true, following = false, ended = false;

  // One element per line; its time is drawn by CSS from data-time, so it shows or hides
  // without redrawing and the line's own text stays what the service wrote.
  function node(line) {
    const span = document.createElement("span");
    if (line.time) span.dataset.time = line.time;
    span.textContent = line.text + "\n";
    return span;
  }

  function render() {
    pending = false;
    if (paused) return;
    const needle = search.value.toLowerCase();
    const keep = (l) => !needle || l.text.toLowerCase().includes(needle);
    const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 20;
    const batch = document.createDocumentFragment();
    for (const line of rebuild ? lines : fresh) if (keep(line)) batch.append(node(line));
    if (rebuild) pre.replaceChildren(header, batch);
    else pre.append(batch);
    for (let extra = pre.childElementCount - 1 - MAX_LINES; extra > 0; extra--) {
      header.nextSibling.remove();
    }
    rebuild = false;
    fresh = [];
    header.textContent = skipped ? `… ${skipped} earlier lines skipped\n` : "";
    if (stick) pre.scrollTop = pre.scrollHeight;
  }
  const schedule = () => { if (!pending) { pending = true; requestAnimationFrame(render); } };
  const redraw = () => { rebuild = true; fresh = []; schedule(); };

  function follow() {
    if (source) source.close();
    lines = []; skipped = 0; ended = false; following = false; redraw();
    if (!select.value) return;
    const service = select.value;
    const url = `${box.dataset.logsUrl}?service=${encodeURIComponent(service)}&follow=true&tail=500`;
    source = new EventSource(url);
    status.textContent = `Following ${service}…`;
    source.addEventListener("log", (e) => {
      const data = JSON.parse(e.data);
      const line = { text: data.line, stamp: data.time || "", time: localStamp(data.time) };
      lines.push(line);
      fresh.push(line);
      if (lines.length > MAX_LINES) {
        skipped += lines.length - MAX_LINES;
        lines = lines.slice(-MAX_LINES);
      }
      if (fresh.length > MAX_LINES) redraw();
      if (!following) { following = true; status.textContent = `Following ${service}…`; }
      schedule();
    });
    source.addEventListener("waiting", (e) => { following = false; status.textContent = e.data; });
    source.addEventListener("error", (e) => {
      if (e.data) { ended = true; status.textContent = e.data; return; }
      following = false;
      if (source.readyState === EventSource.CONNECTING) {
        status.textContent = "Connection lost; reconnecting…";
      } else if (!ended) {
        status.textContent = "The log stream closed; reload the page to follow again.";
      }
    });
    source.addEventListener("end", () => {
      if (!ended) status.textContent = "The log stream ended.";
      ended = true;
      source.close();
    });
  }

  function showStamps(on) {
    pre.classList.toggle("show-stamps", on);
    stamps.checked = on;
    localStorage.setItem(STAMPS_KEY, on ? "on" : "off");
  }

  select.addEventListener("change", follow);
  search.addEventListener("input", redraw);
  stamps.addEventListener("change", () => showStamps(stamps.checked));
  toggle.addEventListener("click", () => {
    paused = !paused;
    toggle.textContent = paused ? "Resume" : "Pause";
    if (!paused) redraw();
  });
  box.querySelector(".logs-download").addEventListener("click", () => {
    const stamped = stamps.checked;
    const text = lines.map((l) => (stamped && l.stamp ? `${l.stamp} ${l.text}` : l.text));
    const blob = new Blob([text.join("\n") + "\n"], { type: "text/plain" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${box.dataset.deployment}-${select.value}.log`;
    link.click();
    URL.revokeObjectURL(link.href);
  });
  showStamps(localStorage.getItem(STAMPS_KEY) !== "off");
  follow();
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("logs");
  if (box) setupLogs(box);
});
