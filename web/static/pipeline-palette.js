// Pointer drags for the editor, and the catalog palette: drag an item onto the canvas (a ghost
// follows the pointer), or click it / press Enter on it to add it in the middle of the view.

// Follow the pointer until it is released, wherever it goes on the page.
export function drag(onMove, onUp) {
  const up = (e) => {
    window.removeEventListener("pointermove", onMove);
    window.removeEventListener("pointerup", up);
    onUp(e);
  };
  window.addEventListener("pointermove", onMove);
  window.addEventListener("pointerup", up);
}

export function wirePalette(canvas, dropAt, addInView) {
  for (const item of document.querySelectorAll(".pl-item")) {
    const { kind, ref } = item.dataset;
    item.addEventListener("keydown", (e) => { if (e.key === "Enter") addInView(kind, ref); });
    item.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      const ghost = item.cloneNode(true);
      ghost.classList.add("pl-ghost");
      document.body.append(ghost);
      const place = (m) => {
        ghost.style.left = `${m.clientX + 4}px`;
        ghost.style.top = `${m.clientY + 4}px`;
      };
      place(e);
      const start = { x: e.clientX, y: e.clientY };
      drag(place, (u) => {
        ghost.remove();
        const r = canvas.getBoundingClientRect();
        const inside = u.clientX >= r.left && u.clientX <= r.right && u.clientY >= r.top && u.clientY <= r.bottom;
        if (Math.hypot(u.clientX - start.x, u.clientY - start.y) < 4) addInView(kind, ref);
        else if (inside) dropAt(kind, ref, u.clientX, u.clientY);
      });
    });
  }
}
