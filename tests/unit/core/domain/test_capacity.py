import pytest

from core.domain.capacity import (
    NodeLoad,
    check_scheduling,
    fits,
    pick_node,
    shortfall,
    suggested_limits,
)
from core.errors import InvalidInput


def node(node_id=1, cpu=4.0, mem=8192, cpu_alloc=0.0, mem_alloc=0, outside=0.0, mem_used=0, **rest):
    return NodeLoad(
        node_id=node_id,
        cpu_capacity=cpu,
        memory_capacity_mb=mem,
        cpu_allocated=cpu_alloc,
        memory_allocated_mb=mem_alloc,
        cpu_outside=outside,
        memory_used_mb=mem_used,
        **rest,
    )


# capacity, allocated, sustained outside load, host reserve, overcommit, asked → fits?
CPU_RULE = [
    (2.0, 0.0, 0.0, 0.5, 1.0, 1.0, True),  # an idle laptop
    (2.0, 0.0, 1.2, 0.5, 1.0, 1.0, True),  # a busy laptop: 1.2 outside, 0.7 of it counts
    (2.0, 0.0, 1.2, 0.5, 1.0, 1.5, False),  # ... but not for 1.5 CPU (1.3 free)
    (2.0, 0.0, 0.5, 0.5, 1.0, 2.0, True),  # load within the reserve costs nothing
    (2.0, 0.0, 2.0, 0.5, 1.0, 1.0, False),  # saturated by other work: 0.5 free
    (2.0, 0.0, 2.0, 0.5, 1.0, 0.5, True),  # ... still room for a small one (CPU squeezes)
    (2.0, 1.5, 0.0, 0.5, 1.0, 0.5, True),  # allocations count in full
    (2.0, 1.5, 0.0, 0.5, 1.0, 0.6, False),
    (2.0, 2.0, 0.0, 0.5, 1.5, 1.0, True),  # overcommit 1.5: 3 CPU schedulable
    (2.0, 2.0, 1.0, 0.0, 1.5, 1.0, False),  # no reserve: all outside load counts
    (4.0, 0.0, 3.9, 0.5, 1.0, 1.0, False),  # the old test's saturated node
]


@pytest.mark.parametrize(("cap", "alloc", "outside", "reserve", "over", "asked", "ok"), CPU_RULE)
def test_the_cpu_admission_rule(cap, alloc, outside, reserve, over, asked, ok):
    load = node(cpu=cap, cpu_alloc=alloc, outside=outside, cpu_reserve=reserve, cpu_overcommit=over)
    assert fits(load, asked, 256) == ok


def test_memory_keeps_the_strict_rule_whatever_the_reserve():
    assert not fits(node(mem=4096, mem_used=3900, cpu_reserve=4.0), 0.1, 512)
    assert not fits(node(mem=4096, mem_alloc=3900, cpu_overcommit=4.0), 0.1, 512)


def test_a_refusal_names_allocations_outside_load_and_what_the_user_can_do():
    busy = node(cpu=2.0, cpu_alloc=1.0, outside=1.2, name="laptop")
    text = shortfall([busy], 1.0, 512, own_deployments=2)
    assert "node laptop has 2, deployments hold 1.00" in text
    assert "other work on the host 1.20 of which 0.70 counts beyond its 0.5 CPU reserve" in text
    assert "0.30 CPU free; this project needs 1 CPU" in text
    assert "Delete some of the 2 of your deployments" in text
    nobody = shortfall([busy], 1.0, 512, own_deployments=0)
    assert "Delete" not in nobody and "ask an admin" in nobody
    empty = shortfall([node(cpu=1.0, outside=2.0)], 1.0, 512)
    assert "Delete" not in empty and "raise the node's reserve" in empty


def test_an_empty_node_fits_up_to_its_capacity():
    assert fits(node(), 4.0, 8192)
    assert not fits(node(), 4.1, 1)
    assert not fits(node(), 1, 8193)


def test_allocated_limits_count_even_when_idle():
    assert not fits(node(cpu_alloc=3.5, mem_alloc=1024), 1.0, 512)


def test_os_usage_beyond_allocations_counts():
    assert not fits(node(mem_alloc=1024, mem_used=7000), 0.5, 2048)
    assert fits(node(mem_alloc=4096, mem_used=1000), 0.5, 4096)


def test_pick_prefers_the_roomiest_fitting_node():
    loads = [node(1, mem_alloc=6000), node(2, mem_alloc=1000), node(3, mem=1024)]
    assert pick_node(loads, 1, 2048).node_id == 2
    assert pick_node(loads, 8, 2048) is None


def test_shortfall_explains_the_best_candidate():
    assert "no node" in shortfall([], 1, 512)
    text = shortfall([node(cpu=2, mem=1024)], 1, 2048)
    assert "1024 MB free; this project needs 2048 MB" in text and "CPU:" not in text


@pytest.mark.parametrize(
    ("cpus", "memory", "expected"),
    [
        (2.0, 8000, (1.0, 1920)),  # the 2-core machine `make up` runs on: 1 CPU fits
        (16.0, 65536, (2.0, 2048)),  # a big node: the old default
        (1.0, 1024, (0.5, 256)),
        (0.0, 0, (2.0, 2048)),  # no node yet
    ],
)
def test_a_new_projects_default_limits_fit_the_node(cpus, memory, expected):
    cpu, memory_mb = suggested_limits(cpus, memory)
    assert (cpu, memory_mb) == expected
    if cpus:
        assert fits(node(cpu=cpus, mem=memory), cpu, memory_mb)


def test_a_nodes_scheduling_knobs_are_checked():
    assert check_scheduling(1.25, 1.5) == {"cpu_reserve": 1.25, "cpu_overcommit": 1.5}
    assert check_scheduling(None, None) == {}
    for reserve, overcommit, field in [(-1, None, "cpu_reserve"), (None, 0.5, "cpu_overcommit"),
                                       (None, 9, "cpu_overcommit"), (float("nan"), None,
                                       "cpu_reserve")]:  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            check_scheduling(reserve, overcommit)
        assert refused.value.field == field
