"""Pause Python's cyclic GC across a short CPU-bound stretch with no `await` inside.

A sync at 10,000 hosts allocates tens of thousands of dicts and lists in one go; the collections
they trigger scan the whole process heap, which in the web process is large, and made single
passes 50-100 ms slower (bench/ingress_route_change.py). Nothing else runs while the stretch
runs (no await), and the allocations are freed by reference counting, so nothing piles up.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
