"""Small server-rendered SVG line charts (no JavaScript) over the last hour: a node's use vs
its allocations, and one line for a deployment's service (CPU or memory).

Only numbers and fixed labels go into the markup, so it is safe to render unescaped.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 320, 90, 4
WINDOW = datetime.timedelta(hours=1)


def _points(
    samples: Sequence[tuple[datetime.datetime, float]],
    top: float,
    now: datetime.datetime,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    start = now - WINDOW
    points = []
    for at, value in samples:
        x = PAD + (width - 2 * PAD) * max(0.0, (at - start) / WINDOW)
        y = height - PAD - (height - 2 * PAD) * (min(value, top) / top if top else 0)
        points.append(f"{x:.1f},{y:.1f}")
    return " ".join(points)


def usage_chart(
    title: str,
    unit: str,
    used: Sequence[tuple[datetime.datetime, float]],
    allocated: Sequence[tuple[datetime.datetime, float]],
    capacity: float,
    now: datetime.datetime | None = None,
) -> Markup:
    """Two lines (actual use solid, allocated dashed) on a 0..capacity scale."""
    now = now or datetime.datetime.now(datetime.UTC)
    top = max([capacity, *(v for _, v in used), *(v for _, v in allocated), 1e-9])
    last_used = f"{used[-1][1]:g}" if used else "no data"
    last_allocated = f"{allocated[-1][1]:g}" if allocated else "no data"
    label = f"{title}: {last_used} {unit} used, {last_allocated} allocated of {capacity:g}"
    return Markup(
        f'<svg class="usage-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="none" '
        'stroke="currentColor" stroke-opacity="0.2"/>'
        f'<polyline class="allocated" fill="none" stroke="#f9ab00" stroke-width="1.5" '
        f'stroke-dasharray="4 3" points="{_points(allocated, top, now)}"/>'
        f'<polyline class="used" fill="none" stroke="#1e8e3e" stroke-width="1.5" '
        f'points="{_points(used, top, now)}"/>'
        "</svg>"
    )


SMALL_WIDTH, SMALL_HEIGHT = 240, 56


def line_chart(
    title: str,
    unit: str,
    samples: Sequence[tuple[datetime.datetime, float]],
    top: float,
    now: datetime.datetime | None = None,
) -> Markup:
    """One small line on a 0..top scale (top: the limit, or the highest value if above it)."""
    now = now or datetime.datetime.now(datetime.UTC)
    top = max([top, *(v for _, v in samples), 1e-9])
    last = f"{samples[-1][1]:.3g} {unit} now" if samples else "no data yet"
    label = escape(f"{title}: {last} (scale 0 to {top:.4g} {unit})")  # titles name services
    width, height = SMALL_WIDTH, SMALL_HEIGHT
    return Markup(
        f'<svg class="usage-chart small-chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="none" '
        'stroke="currentColor" stroke-opacity="0.2"/>'
        f'<polyline class="used" fill="none" stroke="#1a73e8" stroke-width="1.5" '
        f'points="{_points(samples, top, now, width, height)}"/>'
        "</svg>"
    )
