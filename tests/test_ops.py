"""Every op against values and derivatives worked out by hand."""

import math

import pytest

import engine
from engine import Value


def grads_of(f, *data):
    xs = [Value(x) for x in data]
    out = f(*xs)
    out.backward()
    return out.data, [x.grad for x in xs]


@pytest.mark.parametrize(
    "f, inputs, value, derivatives",
    [
        (lambda a, b: a + b, (2.0, -3.0), -1.0, [1.0, 1.0]),
        (lambda a, b: a - b, (2.0, -3.0), 5.0, [1.0, -1.0]),
        (lambda a, b: a * b, (2.0, -3.0), -6.0, [-3.0, 2.0]),
        (lambda a, b: a / b, (3.0, 2.0), 1.5, [0.5, -0.75]),  # d/db a/b = -a/b²
        (lambda a, b: a**b, (2.0, 3.0), 8.0, [12.0, 8.0 * math.log(2.0)]),
        (lambda a: a**2, (-3.0,), 9.0, [-6.0]),
        (lambda a: a**-1, (4.0,), 0.25, [-1 / 16]),
        (lambda a: 2**a, (3.0,), 8.0, [8.0 * math.log(2.0)]),
        (lambda a: 1 - a, (3.0,), -2.0, [-1.0]),
        (lambda a: 6 / a, (3.0,), 2.0, [-6 / 9]),
        (lambda a: 5 + a, (3.0,), 8.0, [1.0]),
        (lambda a: 5 * a, (3.0,), 15.0, [5.0]),
        (lambda a: -a, (3.0,), -3.0, [-1.0]),
        (lambda a: abs(a), (-3.0,), 3.0, [-1.0]),
        (lambda a: abs(a), (2.0,), 2.0, [1.0]),
        (lambda a: a.relu(), (2.0,), 2.0, [1.0]),
        (lambda a: a.relu(), (-2.0,), 0.0, [0.0]),
        (lambda a: a.relu(), (0.0,), 0.0, [0.0]),  # PyTorch's convention at the kink
        (lambda a: a.tanh(), (0.5,), math.tanh(0.5), [1 - math.tanh(0.5) ** 2]),
        (lambda a: a.sigmoid(), (0.0,), 0.5, [0.25]),
        (lambda a: a.exp(), (1.0,), math.e, [math.e]),
        (lambda a: a.log(), (4.0,), math.log(4.0), [0.25]),
        (lambda a: a.sqrt(), (4.0,), 2.0, [0.25]),
        (lambda a, b: engine.dot([a, b], [b, 3.0]), (2.0, 5.0), 25.0, [5.0, 2.0 + 3.0]),
        (lambda a, b: engine.sum([a, b, a, 1.0]), (2.0, 5.0), 10.0, [2.0, 1.0]),
    ],
)
def test_op_value_and_derivatives(f, inputs, value, derivatives):
    out, grads = grads_of(f, *inputs)
    assert out == pytest.approx(value, rel=1e-15)
    assert grads == pytest.approx(derivatives, rel=1e-15)


def test_chain_rule_through_a_node_used_twice():
    # micrograd's example: the gradient of a node reached by two paths is the sum of both.
    a, b = Value(-4.0, "a"), Value(2.0, "b")
    c = a + b  # -2
    d = a * b + b**3  # -8 + 8 = 0
    e = c * d + c  # shared c: de/dc = d + 1 = 1
    e.backward()
    assert e.data == -2.0
    # de/da = (d + 1)·1 + c·b = 1 + (-2)(2) = -3; de/db = (d + 1) + c·(a + 3b²) = 1 - 2·8 = -15
    assert a.grad == -3.0 and b.grad == -15.0
    assert c.grad == 1.0 and d.grad == -2.0


def test_x_times_x_uses_x_twice():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_sigmoid_and_tanh_stay_finite_with_exact_gradients_at_extremes():
    for x in (1000.0, -1000.0, 40.0, -40.0):
        s, t = Value(x), Value(x)
        s.sigmoid().backward()
        t.tanh().backward()
        assert math.isfinite(s.grad) and math.isfinite(t.grad)
    assert Value(1000.0).sigmoid().data == 1.0 and Value(-1000.0).sigmoid().data == 0.0
    assert Value(-1000.0).tanh().data == -1.0
    # Far into the tails the derivatives are tiny but not rounded to zero.
    s = Value(-40.0)
    s.sigmoid().backward()
    assert s.grad == pytest.approx(math.exp(-40.0), rel=1e-12)
    t = Value(20.0)
    t.tanh().backward()
    assert t.grad == pytest.approx(1 / math.cosh(20.0) ** 2, rel=1e-12)


def test_power_with_a_value_exponent_needs_a_positive_base_only_for_its_derivative():
    x, y = Value(-2.0), Value(2.0)
    z = x**y
    assert z.data == 4.0
    with pytest.raises(ValueError, match="x > 0"):
        z.backward()
    assert x.grad == 0.0 and y.grad == 0.0, "a failed backward leaves every grad as it was"
    x0 = Value(0.0)
    (x0 ** Value(2.0)).backward()
    assert x0.grad == 0.0


def test_a_constant_exponent_takes_no_log_of_a_negative_base():
    x = Value(-3.0)
    (x**2).backward()
    assert x.grad == -6.0


def test_matvec_is_one_dot_node_per_row_sharing_the_inputs():
    w = [[Value(1.0), Value(2.0)], [Value(-1.0), 3.0]]
    x = [Value(0.5), 2.0]
    outs = engine.matvec(w, x)
    assert [o.data for o in outs] == [4.5, 5.5]
    assert all(o.op == "dot" for o in outs)
    assert outs[0].parents == (w[0][0], w[0][1], x[0])
    engine.sum(outs).backward()
    assert [p.grad for p in w[0]] == [0.5, 2.0] and w[1][0].grad == 0.5
    assert x[0].grad == 1.0 + -1.0


def test_matvec_checks_each_row_length():
    with pytest.raises(ValueError, match=r"rows\[1\] has 1 entries but xs has 2"):
        engine.matvec([[1.0, 2.0], [1.0]], [Value(1.0), 2.0])


def test_relu_passes_nan_through_as_pytorch_does_and_its_backward_runs():
    x = Value(float("nan"), label="x")
    y = x.relu()
    assert math.isnan(y.data)  # not 0.0: a nan is never hidden
    y.backward()
    assert x.grad == 0.0  # the rule [x > 0]; it does not fail on nan
    (d,) = engine.grad(y, [x], create_graph=True)
    assert d.data == 0.0
    assert str(next(y.backward_steps())).startswith("v1 = relu(x)   dv1/dv1 = 1  →  x.grad += 0·1")
    # -0.0 stays -0.0 (as in PyTorch and micrograd); -inf is 0 and inf is inf
    assert math.copysign(1.0, Value(-0.0).relu().data) == -1.0
    assert (Value(float("-inf")).relu().data, Value(float("inf")).relu().data) == (0.0, math.inf)
