// Copy buttons (macros/copy.html): <button data-copy="text"> copies its text, and
// <button data-copy-from="#id"> copies that element's text. One listener on the document, so
// buttons htmx swaps in later work too, and no inline handler (the Content-Security-Policy
// forbids them). The Clipboard API needs a secure context (https, or localhost); elsewhere the
// text is copied through a hidden text area, and when even that fails it is left selected.
(() => {
  function copyThroughSelection(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-buffer";
    document.body.appendChild(area);
    area.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (_) {
      copied = false;
    }
    area.remove();
    return copied;
  }

  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (_) {
        // refused (no permission, page not focused): try the old way
      }
    }
    return copyThroughSelection(text);
  }

  function selectText(element) {
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function say(button, words) {
    if (!button.dataset.label) button.dataset.label = button.textContent;
    button.textContent = words;
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(() => {
      button.textContent = button.dataset.label;
    }, 1500);
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy], [data-copy-from]");
    if (!button) return;
    event.preventDefault();
    const source = button.dataset.copyFrom ? document.querySelector(button.dataset.copyFrom) : null;
    const text = source ? source.textContent.trim() : button.dataset.copy || "";
    if (await copy(text)) {
      say(button, "Copied");
    } else {
      if (source) selectText(source);
      say(button, "Press Ctrl+C");
    }
  });
})();
