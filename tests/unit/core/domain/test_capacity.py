from core.domain.capacity import NodeLoad, fits, pick_node, shortfall


def node(node_id=1, cpu=4.0, mem=8192, cpu_alloc=0.0, mem_alloc=0, cpu_used=0.0, mem_used=0):
    return NodeLoad(
        node_id=node_id,
        cpu_capacity=cpu,
        memory_capacity_mb=mem,
        cpu_allocated=cpu_alloc,
        memory_allocated_mb=mem_alloc,
        cpu_used=cpu_used,
        memory_used_mb=mem_used,
    )


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
    assert "1024 MB free" in text and "needs 1 CPU and 2048 MB" in text
