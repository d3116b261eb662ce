"""The node page's SVG chart: numbers only, scaled to capacity, the last hour."""

from __future__ import annotations

import datetime

from web.charts import usage_chart


def test_chart_scales_points_into_the_box_and_labels_the_latest_values():
    now = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
    used = [(now - datetime.timedelta(minutes=60), 0.0), (now, 2.0)]
    allocated = [(now - datetime.timedelta(minutes=30), 1.0), (now, 1.0)]
    svg = str(usage_chart("CPU", "cores", used, allocated, 4.0, now=now))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'points="4.0,86.0 316.0,45.0"' in svg  # 0 → bottom left, 2 of 4 → half height, right
    assert "CPU: 2 cores used, 1 allocated of 4" in svg
    empty = str(usage_chart("Memory", "MB", [], [], 0.0, now=now))
    assert "no data" in empty and 'points=""' in empty
