"""backward_steps: backward() one node at a time, same order, same floats; Step reads as a line."""

import gc
from functools import reduce

import pytest
from examples import micrograd_example
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import Step, Value, backward_steps, topological_order
from engine.testing import expressions

# micrograd's example, stepped by hand: what every walk of it prints, in backward's order
LINES = [
    "L = d * f   dL/dL = 1  →  d.grad += (-2)·1 = -2,  f.grad += 4·1 = 4",
    "f   dL/df = 4   (leaf)",
    "d = e + c   dL/dd = -2  →  e.grad += 1·(-2) = -2,  c.grad += 1·(-2) = -2",
    "c   dL/dc = -2   (leaf)",
    "e = a * b   dL/de = -2  →  a.grad += (-3)·(-2) = 6,  b.grad += 2·(-2) = -4",
    "b   dL/db = -4   (leaf)",
    "a   dL/da = 6   (leaf)",
]


def test_str_of_each_step_on_a_hand_checked_example():
    L, _ = micrograd_example()
    lines = [str(step) for step in L.backward_steps()]
    assert lines == LINES


def test_step_fields_are_exact_and_name_the_nodes():
    L, v = micrograd_example()
    steps = L.backward_steps()
    first = next(steps)
    assert isinstance(first, Step)
    assert first.node is L and first.upstream == 1.0 and (first.index, first.total) == (0, 7)
    assert [(c.parent, c.local, c.amount) for c in first.contributions] == [
        (v["d"], -2.0, -2.0),
        (v["f"], 4.0, 4.0),
    ]
    assert repr(first).startswith("<Step 1/7: L = d * f")
    # The grads as far as the pass got: d and f have theirs, a has nothing yet.
    assert (v["d"].grad, v["f"].grad, v["a"].grad) == (-2.0, 4.0, 0.0)
    rest = list(steps)
    assert [s.node for s in rest] == [v[k] for k in "fdceba"]
    assert (v["a"].grad, v["b"].grad, v["c"].grad) == (6.0, -4.0, -2.0)


def test_unlabelled_nodes_get_short_names_numbered_in_topological_order():
    x = Value(3.0)
    y = (x * 2 - 1).tanh()
    lines = [str(s) for s in y.backward_steps()]
    assert lines[0].startswith("v3 = tanh(v2)   dv3/dv3 = 1  →  v2.grad += ")
    assert lines[1].startswith("v2 = v1 - 1   dv3/dv2 = ")
    assert lines[2].startswith("v1 = v0 * 2   dv3/dv1 = ")
    assert lines[3].startswith("v0   dv3/dv0 = ") and lines[3].endswith("(leaf)")


def test_constants_on_the_left_negative_constants_and_repeated_labels():
    w1, w2 = Value(1.0, label="w"), Value(2.0, label="w")
    y = (2 - w1) * (-3) + w2
    lines = [str(s) for s in y.backward_steps()]
    # topological order: w(0), 2 - w (1), * (-3) (2), the other w (3), + (4)
    assert lines[0].startswith("v4 = v2 + w#3   dv4/dv4 = 1  →  v2.grad += 1·1 = 1,  w#3.grad")
    assert lines[1] == "w#3   dv4/dw#3 = 1   (leaf)"
    assert lines[2] == "v2 = v1 * (-3)   dv4/dv2 = 1  →  v1.grad += (-3)·1 = -3"
    assert lines[3] == "v1 = 2 - w#0   dv4/dv1 = -3  →  w#0.grad += (-1)·(-3) = 3"


def test_a_node_used_twice_gets_two_contributions():
    x = Value(3.0, label="x")
    y = x * x
    step = next(y.backward_steps())
    assert [c.parent for c in step.contributions] == [x, x]
    assert str(step).endswith("x.grad += 3·1 = 3,  x.grad += 3·1 = 3")


def test_wide_dot_keeps_one_readable_line_but_every_contribution_in_the_fields():
    ws = [Value(0.5 * i, label=f"w{i}") for i in range(64)]
    xs = [Value(1.0, label=f"x{i}") for i in range(64)]
    out = engine.dot(ws, xs)
    out.label = "z"
    step = next(out.backward_steps())
    assert len(step.contributions) == 128
    line = str(step)
    assert line.startswith("z = dot([w0, w1, w2, w3, … 59 more …, w63], [x0, x1, x2, x3, ")
    assert "… 125 more …" in line and line.endswith("x63.grad += 31.5·1 = 31.5")
    assert len(line) < 250


def test_a_node_of_constants_only_sends_nothing():
    s = engine.sum([1.0, 2.0])
    step = next(s.backward_steps())
    assert step.contributions == ()
    assert str(step) == "v0 = sum([1, 2])   dv0/dv0 = 1   (only constants: nothing to send back)"


@given(expressions(), st.data())
def test_exhausted_steps_give_bit_for_bit_the_grads_of_backward(expr, data):
    out_a, out_b = expr(*expr.leaves()), expr(*expr.leaves())
    order_a, order_b = topological_order(out_a), topological_order(out_b)
    gradient = data.draw(st.sampled_from([1.0, -0.5, 3.0]))
    old = data.draw(st.lists(st.floats(-5, 5), min_size=len(order_a), max_size=len(order_a)))
    for a, b, g in zip(order_a, order_b, old, strict=True):
        a.grad = b.grad = g
    out_a.backward(gradient)
    steps = list(backward_steps(out_b, gradient))
    assert [a.grad for a in order_a] == [b.grad for b in order_b]
    assert [s.node for s in steps] == order_b[::-1]
    assert steps[0].upstream == gradient


@given(expressions())
def test_contributions_into_each_parent_add_up_to_its_grad(expr):
    out = expr(*expr.leaves())
    steps = list(out.backward_steps())
    received: dict[Value, list[float]] = {}
    for step in steps:
        # Each node's grad is complete by its own step: upstream is the sum of what it received.
        if step.node is not out:
            assert step.upstream == reduce(float.__add__, received[step.node], 0.0)
        for c in step.contributions:
            assert c.amount == c.local * step.upstream
            received.setdefault(c.parent, []).append(c.amount)
    for node, amounts in received.items():
        assert node.grad == reduce(float.__add__, amounts, 0.0)


def test_stopping_halfway_leaves_the_grads_as_far_as_they_got_plus_the_old_ones():
    L, v = micrograd_example()
    for node in v.values():
        node.grad = 100.0
    steps = L.backward_steps()
    for _ in range(3):  # L, f, d: d has sent -2 to e and c; e has not run yet
        next(steps)
    during = {k: node.grad for k, node in v.items()}
    so_far = dict(L=1.0, f=4.0, d=-2.0, e=-2.0, c=-2.0, a=0.0, b=0.0)
    assert during == {k: 100.0 + g for k, g in so_far.items()}
    steps.close()
    assert {k: node.grad for k, node in v.items()} == during


def test_a_dropped_generator_also_adds_the_old_grads_back():
    L, v = micrograd_example()
    v["a"].grad = 7.0
    steps = L.backward_steps()
    next(steps)
    del steps
    gc.collect()
    assert v["a"].grad == 7.0 and v["d"].grad == -2.0


def test_nothing_happens_before_the_first_next():
    L, v = micrograd_example()
    v["a"].grad = 5.0
    L.backward_steps()
    assert v["a"].grad == 5.0 and L.grad == 0.0


def test_a_failing_rule_leaves_every_grad_as_it_was():
    x, y = Value(-2.0, label="x"), Value(2.0, label="y")
    x.grad, y.grad = 1.0, 2.0
    out = (x**y) * 3
    steps = out.backward_steps()
    next(steps)
    with pytest.raises(ValueError, match="needs x > 0"):
        next(steps)
    assert (x.grad, y.grad, out.grad) == (1.0, 2.0, 0.0)


def test_bad_input_is_refused_at_the_call_with_a_clear_error():
    with pytest.raises(TypeError, match="needs a Value.*not float"):
        backward_steps(3.0)
    with pytest.raises(TypeError, match="gradient must be a real number, not str"):
        Value(1.0).backward_steps("1")


# ---- interleaved passes: each walk keeps its own numbers; the grads get every pass ----

ONE_PASS = dict(L=1.0, f=4.0, d=-2.0, c=-2.0, e=-2.0, b=-4.0, a=6.0)


def test_a_backward_between_two_steps_gives_two_passes_and_the_lines_stay_true():
    L, v = micrograd_example()
    steps = L.backward_steps()
    lines = [str(next(steps)) for _ in range(3)]
    L.backward()
    lines += [str(step) for step in steps]
    assert lines == LINES
    assert {k: node.grad for k, node in v.items()} == {k: 2 * g for k, g in ONE_PASS.items()}


def test_two_interleaved_walks_give_two_passes_and_each_its_own_lines():
    L, v = micrograd_example()
    first, second = L.backward_steps(), L.backward_steps()
    lines_first, lines_second = [str(next(first))], []
    for a, b in zip(first, second):  # one step ahead of the other all the way
        lines_second.append(str(b))
        lines_first.append(str(a))
    lines_second += [str(step) for step in second]
    assert lines_first == lines_second == LINES
    assert {k: node.grad for k, node in v.items()} == {k: 2 * g for k, g in ONE_PASS.items()}


def test_interleaved_passes_through_a_node_used_twice_add_up():
    # x gets two contributions from each pass; numbers chosen to be exact in binary.
    x, w = Value(1.5, label="x"), Value(-0.25, label="w")
    y = x * x * w + x
    (dx, dw) = (2 * 1.5 * -0.25 + 1.0, 1.5 * 1.5)
    x.grad, w.grad = 10.0, 20.0
    steps = y.backward_steps()
    next(steps)
    next(steps)
    y.backward()
    walk = list(steps)
    assert (x.grad, w.grad) == (10.0 + 2 * dx, 20.0 + 2 * dw)
    assert [s.upstream for s in walk if s.node is x] == [dx]


def test_a_failing_walk_takes_back_only_its_own_share():
    # The walk fails at x ** y (x < 0); what backward() added to x meanwhile stays.
    x, y = Value(-2.0, label="x"), Value(2.0, label="y")
    x.grad = 1.0
    bad = (x**y) * 3 + x
    steps = bad.backward_steps()
    next(steps)  # the + node: x.grad += 1
    assert x.grad == 2.0
    (x * 5).backward()
    with pytest.raises(ValueError, match="needs x > 0"):
        list(steps)
    assert (x.grad, y.grad, bad.grad) == (6.0, 0.0, 0.0)


def test_explain_and_render_backward_between_two_steps_change_no_grad(tmp_path):
    import io

    from engine import explain
    from engine.viz import render_backward

    L, v = micrograd_example()
    steps = L.backward_steps()
    next(steps)
    during = {k: node.grad for k, node in v.items()}
    explain(L, file=io.StringIO())
    render_backward(L, tmp_path / "frames")
    assert {k: node.grad for k, node in v.items()} == during
    assert [str(s) for s in steps] == LINES[1:]
    assert {k: node.grad for k, node in v.items()} == ONE_PASS


def test_steps_that_change_nothing_say_so_and_name_the_real_parent():
    x = Value(0.5, label="x")
    total = engine.sum([(x * 1).tanh()])
    loss = total / 1
    loss.label = "loss"
    lines = [str(s) for s in loss.backward_steps()]
    assert lines[0] == (
        "loss = v3 / 1   dloss/dloss = 1  →  v3.grad += 1   "
        "(the mean of one term: passes its grad on unchanged)"
    )
    assert lines[1] == (
        "v3 = sum([v2])   dloss/dv3 = 1  →  v2.grad += 1   "
        "(a sum of one term: passes its grad on unchanged)"
    )
    assert lines[3].startswith("v1 = x * 1   dloss/dv1 = ")
    assert lines[3].endswith("(× 1: passes its grad on unchanged)")
    assert (x / 2).op == "/" and "passes" not in str(next((x / 2).backward_steps()))
