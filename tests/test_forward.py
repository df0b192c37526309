"""forward_steps: the forward pass replayed one node at a time, recomputed, with its numbers."""

import struct

import pytest
from examples import micrograd_example
from hypothesis import given
from hypothesis import strategies as st

import engine
import nn
from engine import ForwardStep, Value, forward_steps, topological_order
from engine.testing import ALL_OPS, expressions


def bits(xs):
    return [struct.pack("<d", x) for x in xs]


def test_str_of_each_step_on_a_hand_checked_example():
    L, _ = micrograd_example()
    assert [str(step) for step in L.forward_steps()] == [
        "a = 2 (leaf)",
        "b = -3 (leaf)",
        "e = a * b = 2 · (-3) = -6",
        "c = 10 (leaf)",
        "d = e + c = (-6) + 10 = 4",
        "f = -2 (leaf)",
        "L = d * f = 4 · (-2) = -8",
    ]


def test_unary_ops_constants_and_unlabelled_nodes_read_with_their_numbers():
    x = Value(0.25)
    y = (-(x * 2) + 1).tanh() ** 2 / 3
    assert [str(step) for step in y.forward_steps()] == [
        "v0 = 0.25 (leaf)",
        "v1 = v0 * 2 = 0.25 · 2 = 0.5",
        "v2 = -v1 = -0.5 = -0.5",
        "v3 = v2 + 1 = (-0.5) + 1 = 0.5",
        "v4 = tanh(v3) = tanh(0.5) = 0.4621",
        "v5 = v4 ** 2 = 0.4621 ** 2 = 0.2136",
        "v6 = v5 / 3 = 0.2136 / 3 = 0.07118",
    ]


def test_the_names_are_those_of_backward_steps():
    x = Value(3.0)
    y = (x * 2 - 1).tanh() * x
    forward = next(y.forward_steps())
    backward = next(y.backward_steps())
    assert forward.names == backward.names
    assert [s.node for s in y.forward_steps()] == topological_order(y)


def test_a_dot_node_reads_as_its_weighted_sum_with_the_middle_elided():
    ws = [Value(0.5 * i, label=f"w{i}") for i in range(10)]
    xs = [Value(2.0, label=f"x{i}") for i in range(10)]
    z = engine.dot(ws, xs)
    z.label = "z"
    last = list(z.forward_steps())[-1]
    assert str(last) == (
        "z = dot([w0, w1, w2, w3, … 5 more …, w9], [x0, x1, x2, x3, … 5 more …, x9]) "
        "= 0·2 + 0.5·2 + 1·2 + 1.5·2 + … 5 more … + 4.5·2 = 45"
    )
    s = engine.sum([1.0, Value(-2.0, label="a")])
    assert str(list(s.forward_steps())[-1]) == "v1 = sum([1, a]) = 1 + (-2) = -1"


def test_step_fields_and_repr():
    L, v = micrograd_example()
    steps = list(forward_steps(L))
    assert all(isinstance(s, ForwardStep) for s in steps)
    assert [(s.index, s.total) for s in steps] == [(i, 7) for i in range(7)]
    assert steps[2].node is v["e"] and steps[2].value == -6.0
    assert repr(steps[2]) == "<ForwardStep 3/7: e = a * b = 2 · (-3) = -6>"


@given(expressions())
def test_replay_recomputes_every_node_bit_for_bit(expr):
    out = expr(*expr.leaves())
    order = topological_order(out)
    steps = list(out.forward_steps())
    assert [s.node for s in steps] == order
    assert bits(s.value for s in steps) == bits(n.data for n in order)


@pytest.mark.parametrize("op", ALL_OPS)
@given(data=st.data())
def test_each_op_is_recomputed_bit_for_bit(op, data):
    expr = data.draw(expressions(ops=(op,), max_ops=6))
    out = expr(*expr.leaves())
    order = topological_order(out)
    assert op in {n.op for n in order}
    steps = list(out.forward_steps())
    assert bits(s.value for s in steps) == bits(n.data for n in order)


def test_an_mlp_samples_loss_is_recomputed_bit_for_bit_and_left_untouched():
    model = nn.MLP(2, [16, 16, 1], init="micrograd", seed=1337)
    score = model([0.5, -1.25])
    loss = nn.losses.hinge([score], [1.0]) + 1e-4 * nn.losses.l2(model.parameters())
    loss.backward()
    order = topological_order(loss)
    before = [(n.data, n.grad) for n in order]
    steps = list(loss.forward_steps())
    assert len(steps) == len(order) > 300
    assert bits(s.value for s in steps) == bits(n.data for n in order)
    assert [(n.data, n.grad) for n in order] == before
    assert {n.op for n in order} >= {"dot", "relu", "+", "*"}


def test_a_leaf_changed_since_the_graph_was_built_is_refused_not_printed():
    L, v = micrograd_example()
    v["a"].data = 3.0
    steps = L.forward_steps()
    assert str(next(steps)) == "a = 3 (leaf)"  # a leaf is what it is now
    next(steps)
    with pytest.raises(ValueError, match=r"graph changed underneath.*e = a \* b.*-9\.0.*-6\.0"):
        next(steps)


def test_a_changed_node_or_an_op_that_now_fails_is_refused():
    x = Value(2.0, label="x")
    y = x.log()
    y.label = "y"
    z = y * 2
    y.data = 5.0  # an inner node changed: z no longer matches it
    with pytest.raises(ValueError, match="recomputing y = log"):
        list(z.forward_steps())
    x.data = -1.0  # now log itself fails
    with pytest.raises(ValueError, match=r"graph changed underneath.*it fails: log needs"):
        list(z.forward_steps())


def test_bad_input_is_refused_at_the_call():
    with pytest.raises(TypeError, match="forward_steps needs a Value.*not float"):
        forward_steps(1.0)
