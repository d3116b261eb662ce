// Small behaviours that need no build step: confirmations, filters that apply on change, and
// live countdowns. (No inline on…= handlers in templates: the Content-Security-Policy forbids them.)
document.addEventListener("submit", (event) => {
  const message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]") && event.target.form) event.target.form.submit();
});

function describe(ms) {
  if (ms <= 0) return "now";
  const s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d) return `in ${d}d ${h}h`;
  if (h) return `in ${h}h ${m}m`;
  return `in ${m}m ${String(sec).padStart(2, "0")}s`;
}

function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll("[data-expires]")) {
    const left = Date.parse(el.dataset.expires) - now;
    el.textContent = describe(left);
    el.classList.toggle("soon", left < 15 * 60 * 1000);
  }
}
setInterval(tick, 1000);
document.addEventListener("DOMContentLoaded", tick);
document.addEventListener("htmx:afterSwap", tick);

// The menu on narrow screens: the button folds the links open and shut (app.css hides them
// and shows the button below its breakpoint; wide screens ignore both).
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".menu-toggle");
  if (!toggle) return;
  toggle.setAttribute("aria-expanded", String(toggle.getAttribute("aria-expanded") !== "true"));
});
