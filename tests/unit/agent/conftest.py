"""The deployment work's parts built from fakes: an in-memory Engine, a Store in a temporary
directory, a list for the events (fake_engine.py)."""

from __future__ import annotations

import pytest

from agent.config import AgentConfig
from agent.parts import Parts
from agent.run_memory import RunMemory
from agent.store import Store

from .fake_engine import FakeEngine


@pytest.fixture
async def engine():
    fake = FakeEngine()
    yield fake
    await fake.close()


@pytest.fixture
def events() -> list:
    return []


@pytest.fixture
def parts(tmp_path, engine, events):
    config = AgentConfig(data_dir=tmp_path, agent_id=engine.agent_id, publish_address="127.0.0.1")
    store = Store(tmp_path)
    yield Parts(config, store, engine, events.append, RunMemory())
    store.close()
