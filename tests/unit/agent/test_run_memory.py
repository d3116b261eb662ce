"""The agent's memory of a run: what it saw itself wins over the control plane's copy."""

from agent.run_memory import Applied, RunMemory


def test_the_control_plane_copy_is_taken_only_when_this_process_saw_nothing():
    memory = RunMemory()
    memory.adopt(1, {"db": {"url": "from-cp"}})
    assert memory.outputs(1) == {"db": {"url": "from-cp"}}
    assert memory.applied(1, "db") is None  # rollback params are resolved again from these

    memory.start(2)
    memory.record(2, "db", {"url": "seen"}, Applied({"host": "db"}, {"pg": {}}))
    memory.adopt(2, {"db": {"url": "from-cp"}})
    assert memory.outputs(2) == {"db": {"url": "seen"}}
    assert memory.applied(2, "db") == Applied({"host": "db"}, {"pg": {}})


def test_a_new_run_forgets_the_last_one_and_forget_forgets_everything():
    memory = RunMemory()
    memory.record(3, "db", {"url": "old"}, Applied({}, {}))
    memory.start(3)
    assert memory.outputs(3) == {} and memory.applied(3, "db") is None
    memory.adopt(3, {"db": {"url": "from-cp"}})
    assert memory.outputs(3) == {}  # this process runs it now: the CP copy is stale
    memory.forget(3)
    memory.adopt(3, {"db": {"url": "from-cp"}})
    assert memory.outputs(3) == {"db": {"url": "from-cp"}}
