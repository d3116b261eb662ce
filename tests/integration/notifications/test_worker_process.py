"""`shoal worker` as its own process (scaling out, DESIGN §8) delivers notifications: it must
open the channel's sealed config with the master key and link to the public URL, which it
takes from its settings like `serve` does."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from core import crypto, runtime
from core.notifications import channels
from core.notifications.channels import ChannelInput
from core.services import lifecycle
from core.settings import Settings
from shoaltest.receivers import http_receiver

REPO = Path(__file__).resolve().parents[3]


async def test_a_separate_worker_process_delivers(scene, database_url, tmp_path):
    key = crypto.generate_key()
    runtime.install(box=crypto.SecretBox(key))
    runtime.install(settings=Settings(public_url="https://shoal.example.com"))
    env = {
        **os.environ,
        "SHOAL_DATABASE_URL": database_url,
        "SHOAL_DATA_DIR": str(tmp_path),
        "SHOAL_SECRET_KEY": crypto.encode_key(key),
        "SHOAL_PUBLIC_URL": "https://shoal.example.com",
    }
    with http_receiver() as receiver:
        await channels.create_channel(
            scene.admin,
            ChannelInput(name="hook", kind="webhook", url=receiver.url, events=["ready"]),
        )
        worker = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "web.cli", "worker"],
            cwd=REPO,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert await lifecycle.move(scene.deployment_id, "running")
            requests = await receiver.wait_for(1, timeout_s=60)
        finally:
            worker.send_signal(signal.SIGINT)
            _, errors = await asyncio.wait_for(worker.communicate(), timeout=30)
        assert len(requests) == 1, errors.decode()[-3000:]
    event = json.loads(requests[0].body)
    assert event["link"] == f"https://shoal.example.com/deployments/{scene.deployment_id}"
