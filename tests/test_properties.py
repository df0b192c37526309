"""Property tests on random expression graphs drawn from every op (engine.testing)."""

import gc
import math

from hypothesis import given
from hypothesis import strategies as st

from engine import Value, grad, gradcheck, no_grad, topological_order
from engine.gradcheck import numeric_grad
from engine.testing import ALL_OPS, expressions


@given(expressions())
def test_backward_matches_central_finite_differences(expr):
    assert gradcheck(expr, expr.inputs)


@given(expressions(max_ops=6))
def test_second_derivatives_match_finite_differences_of_the_first(expr):
    xs = expr.leaves()
    first = grad(expr(*xs), xs, create_graph=True)
    for i, d1 in enumerate(first):
        analytic = grad(d1, xs)

        def d1_of(*leaves, i=i):
            return Value(grad(expr(*leaves), list(leaves))[i])

        for j, a in enumerate(analytic):
            n = numeric_grad(d1_of, expr.inputs, j, 1e-6)
            assert math.isfinite(a)
            assert abs(a - n) <= 1e-4 + 1e-3 * abs(n), (i, j, a, n)


@given(expressions())
def test_grad_and_backward_agree_exactly(expr):
    xs = expr.leaves()
    out = expr(*xs)
    expected = grad(out, xs)
    out.backward()
    assert [x.grad for x in xs] == expected


@given(expressions())
def test_no_grad_records_nothing(expr):
    xs = expr.leaves()
    with no_grad():
        out = expr(*xs)
    assert out.parents == () and out.op == ""
    assert topological_order(out) == [out]
    assert out.data == expr(*expr.leaves()).data


@given(expressions(max_ops=12))
def test_each_node_comes_after_its_parents(expr):
    order = topological_order(expr(*expr.leaves()))
    position = {id(node): i for i, node in enumerate(order)}
    assert len(position) == len(order)
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)


@given(expressions())
def test_graphs_are_freed_without_the_cycle_collector(expr):
    # Generation 0 is enough: with the collector off, everything built here stays young, so a
    # cycle left behind would be found there. A full collection would rescan Hypothesis's and
    # pytest's long-lived objects every example, for nothing (it made this the slowest test).
    gc.collect(0)
    gc.disable()
    try:
        out = expr(*expr.leaves())
        out.backward()
        del out
        assert gc.collect(0) == 0
    finally:
        gc.enable()


@given(st.data())
def test_the_strategy_can_draw_every_op(data):
    for op in ALL_OPS:
        expr = data.draw(expressions(ops=(op,), max_ops=2))
        ops = {node.op for node in topological_order(expr(*expr.leaves()))}
        assert op in ops
