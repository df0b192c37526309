"""The memory budget of a node (measured, not timed): at most 150 bytes per op node."""

import gc
import tracemalloc

from engine import Value, topological_order


def test_a_forward_graph_costs_at_most_150_bytes_per_node():
    gc.collect()
    x, w = Value(0.5), Value(-0.3)
    tracemalloc.start()
    try:
        y = x
        for _ in range(20_000):
            y = (y * w + x).tanh()  # three op nodes per turn, no constants
        used = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    nodes = len(topological_order(y)) - 2  # the op nodes, not the two leaves
    assert nodes == 60_000
    assert used / nodes <= 150, f"{used / nodes:.0f} bytes per node"
