"""A control-plane process that runs only the hub (what `shoal serve` runs beside the web app),
for the leadership test: `python hub_process.py DSN LOCK_KEY` with SHOAL_SECRET_KEY set.
Prints `leader` once it holds the agent connections."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/ for shoaltest

from core import crypto, db, runtime
from core.hub import Hub
from shoaltest.hub import TEST_HUB_CONFIG


async def main(dsn: str, lock_key: int) -> None:
    db.configure(dsn)
    runtime.install(box=crypto.SecretBox(crypto.key_from_settings(os.environ["SHOAL_SECRET_KEY"])))
    await db.start_pool(2)
    hub = Hub(dataclasses.replace(TEST_HUB_CONFIG, lock_key=lock_key))
    await hub.start(dsn)
    while not hub.is_leader:  # noqa: ASYNC110  (a plain flag set by the hub)
        await asyncio.sleep(0.05)
    print("leader", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
