// Geometry of the pipeline canvas that needs no DOM: edge curves and the auto-layout.

// An edge from an output port (x1, y1) to an input port (x2, y2), as an SVG path.
export function curve(x1, y1, x2, y2) {
  const bend = Math.max(40, Math.abs(x2 - x1) / 2);
  return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
}

// node id → {x, y}: a column per run step (longest path from a start node), a row per node
// in it. A cycle cannot be ordered; the rounds are bounded so its nodes still get a place.
export function layeredPositions(graph, columnWidth = 240, rowHeight = 110) {
  const preds = Object.fromEntries(graph.nodes.map((n) => [n.id, []]));
  for (const e of graph.edges) if (preds[e.to] && preds[e.from]) preds[e.to].push(e.from);
  const depth = Object.fromEntries(graph.nodes.map((n) => [n.id, 0]));
  let changed = true, rounds = 0;
  while (changed && rounds++ <= graph.nodes.length) {
    changed = false;
    for (const n of graph.nodes) {
      const d = Math.max(0, ...preds[n.id].map((p) => depth[p] + 1));
      if (d !== depth[n.id] && d <= graph.nodes.length) {
        depth[n.id] = d;
        changed = true;
      }
    }
  }
  const rows = {}, positions = {};
  for (const n of graph.nodes) {
    const col = depth[n.id], row = (rows[col] = (rows[col] || 0) + 1) - 1;
    positions[n.id] = { x: col * columnWidth, y: row * rowHeight };
  }
  return positions;
}
