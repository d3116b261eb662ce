// The browser terminal: xterm.js (vendored) wired to the control plane's WebSocket. Keys go
// out as binary frames; output comes in as binary frames and is acknowledged once xterm has
// drawn it (the server holds the shell back until then: a flood never outruns the page).
// Resizes follow the window (fit addon). Text frames from the server say why it ended.
import { Terminal } from "/static/vendor/xterm-6.0.0.mjs";
import { FitAddon } from "/static/vendor/xterm-addon-fit-0.11.0.mjs";

const box = document.getElementById("terminal");
const form = document.getElementById("terminal-start");
const status = document.getElementById("terminal-status");
let socket = null;

const term = new Terminal({ cursorBlink: true, convertEol: false, scrollback: 5000 });
const fit = new FitAddon();
term.loadAddon(fit);
term.open(box);
fit.fit();
const encoder = new TextEncoder();

function send(data) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(data);
}

term.onData((data) => send(encoder.encode(data)));
term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0))));
term.onResize(({ cols, rows }) => send(JSON.stringify({ type: "resize", cols, rows })));
window.addEventListener("resize", () => fit.fit());

function connect(shell) {
  if (socket) socket.close();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = new URLSearchParams({ cols: term.cols, rows: term.rows });
  if (shell) query.set("shell", shell);
  socket = new WebSocket(`${scheme}//${location.host}${box.dataset.wsPath}?${query}`);
  socket.binaryType = "arraybuffer";
  status.textContent = "Connecting…";
  socket.onopen = () => {
    status.textContent = "Connected.";
    term.focus();
  };
  socket.onmessage = (event) => {
    if (typeof event.data === "string") {
      const message = JSON.parse(event.data);
      status.textContent = message.type === "error"
        ? `Refused: ${message.detail}` : `Ended: ${message.detail}`;
      return;
    }
    const bytes = new Uint8Array(event.data);
    term.write(bytes, () => send(JSON.stringify({ type: "ack", size: bytes.length })));
  };
  socket.onclose = (event) => {
    if (status.textContent.startsWith("Connect")) {
      status.textContent = `Closed (${event.code}).`;
    }
  };
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  connect(new FormData(form).get("shell").trim());
});
connect("");
