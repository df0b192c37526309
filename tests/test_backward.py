"""backward(): reverse topological order, accumulation, deep graphs, and no reference cycles."""

import gc
import sys
import threading
import tracemalloc

import pytest

import engine
from engine import Value, topological_order


def test_calling_backward_twice_adds_the_same_gradients_twice():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0
    y.backward()
    assert x.grad == 12.0


def test_a_second_call_sends_only_its_own_gradient_through_intermediates():
    # micrograd would send the intermediate's old gradient down again and get 36 here.
    x = Value(3.0)
    z = (x * x) * 2
    z.backward()
    z.backward()
    assert x.grad == 24.0


def test_backward_accumulates_into_every_reachable_node_and_scales_by_gradient():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a
    d.backward(gradient=0.5)
    assert (d.grad, c.grad, a.grad, b.grad) == (0.5, 0.5, 0.5 * (-3.0 + 1.0), 0.5 * 2.0)


def test_backward_rejects_a_gradient_that_is_not_a_number():
    with pytest.raises(TypeError, match="gradient"):
        Value(1.0).backward(gradient="1")


def test_topological_order_puts_each_node_after_its_parents():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order[-1] is e and len(order) == len({id(n) for n in order}) == 5
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)


def test_a_million_node_chain_backpropagates_without_recursion():
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    assert y.data == 1_000_000.5


def test_a_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        x = Value(1.5)
        before = tracemalloc.get_traced_memory()[0]
        y = x
        for i in range(10_000):
            y = (y * 0.999 + x).tanh() + i
        y.backward()
        built = tracemalloc.get_traced_memory()[0]
        del y
        after = tracemalloc.get_traced_memory()[0]
        # Python keeps a few hundred kB of freed floats and tuples on its free lists.
        assert built - before > 4_000_000
        assert after - before < 400_000, "the graph must be freed as soon as its output is dropped"
        assert gc.collect() == 0, "nothing should be left for the cycle collector"
    finally:
        tracemalloc.stop()
        gc.enable()


def test_a_failed_backward_leaves_grads_as_they_were():
    x = Value(0.0)
    y = Value(2.0)
    (x * y).backward()
    z = x.sqrt() * y  # d sqrt / dx is infinite at 0
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        z.backward()
    assert (x.grad, y.grad) == (2.0, 0.0)


# ---- threads: backward() calls from several threads add every contribution ----


def run_together(threads: int, work) -> None:
    """Run work(start) in `threads` threads (each waits at the Barrier `start`, then all go)."""
    start, errors = threading.Barrier(threads), []

    def run():
        try:
            work(start)
        except BaseException as error:  # an assert in a thread must fail the test
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as Python can, so they interleave
    try:
        pool = [threading.Thread(target=run) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    if errors:
        raise errors[0]


def test_threads_backpropagating_into_shared_parameters_add_every_contribution():
    w, b = Value(0.5, label="w"), Value(-0.25, label="b")
    threads, calls = 8, 500

    def train(start):
        # d/dw = 1 + 2 + ... + 40 = 820 and d/db = 40 per call: integers, exact in any order
        loss = engine.sum([w * float(j) + b for j in range(1, 41)])
        start.wait()
        for _ in range(calls):
            loss.backward()

    run_together(threads, train)
    assert (w.grad, b.grad) == (threads * calls * 820.0, threads * calls * 40.0)


def test_two_threads_backpropagating_one_graph_give_twice_the_grads():
    def build():
        x = Value(0.3, label="x")
        y = x
        for i in range(50):
            y = (y * 1.1 + x).tanh() + i
        return x, y

    calls = 300
    x, y = build()

    def train(start):
        start.wait()
        for _ in range(calls):
            y.backward()

    run_together(2, train)
    alone_x, alone_y = build()
    for _ in range(2 * calls):
        alone_y.backward()
    together = [node.grad for node in topological_order(y)]
    assert together == [node.grad for node in topological_order(alone_y)]
    assert x.grad == alone_x.grad != 0.0
