"""grad(): derivatives returned without touching .grad, and derivatives of derivatives."""

import math

import pytest

from engine import Value, grad, is_grad_enabled, no_grad


def test_grad_returns_derivatives_and_leaves_grad_alone():
    x, y = Value(2.0), Value(3.0)
    z = x * y + x
    dx, dy = grad(z, [x, y])
    assert (dx, dy) == (4.0, 2.0)
    assert x.grad == 0.0 and y.grad == 0.0 and z.grad == 0.0


def test_second_derivative_of_x_cubed():
    x = Value(2.0)
    (d1,) = grad(x**3, [x], create_graph=True)
    assert isinstance(d1, Value) and d1.data == 12.0
    (d2,) = grad(d1, [x])
    assert d2 == 12.0  # 6x at x = 2


def test_third_derivative_of_a_composition():
    x = Value(0.3)
    y = (x * 2).tanh()
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    t = math.tanh(0.6)
    # d/dx tanh(2x) = 2(1-t²); second: -8t(1-t²); third: -16(1-t²)(1-3t²)
    assert d1.data == pytest.approx(2 * (1 - t * t), rel=1e-14)
    assert d2.data == pytest.approx(-8 * t * (1 - t * t), rel=1e-13)
    assert d3 == pytest.approx(-16 * (1 - t * t) * (1 - 3 * t * t), rel=1e-12)


def test_mixed_partial_derivatives_agree_in_either_order():
    x, y = Value(0.7), Value(-1.2)
    f = (x * y).exp() + x ** y.sigmoid()
    dfdx, dfdy = grad(f, [x, y], create_graph=True)
    (dxy,) = grad(dfdx, [y])
    (dyx,) = grad(dfdy, [x])
    assert dxy == pytest.approx(dyx, rel=1e-12)


def test_an_input_the_output_does_not_depend_on_gets_zero():
    x, unused = Value(1.0), Value(5.0)
    assert grad(x * 2, [x, unused]) == [2.0, 0.0]
    d = grad(x * 2, [unused], create_graph=True)[0]
    assert isinstance(d, Value) and d.data == 0.0


def test_a_constant_derivative_is_still_a_value_with_create_graph():
    x = Value(1.0)
    (d1,) = grad(x * 3, [x], create_graph=True)
    assert isinstance(d1, Value) and d1.data == 3.0
    assert grad(d1, [x]) == [0.0]


def test_grad_and_backward_agree():
    x, y = Value(0.4), Value(1.7)
    f = (x / y).log() * x.exp() - (x * y).sqrt()
    expected = grad(f, [x, y])
    f.backward()
    assert [x.grad, y.grad] == expected


@pytest.mark.parametrize("bad_output", [1.0, None, "y"])
def test_grad_needs_a_value_output(bad_output):
    with pytest.raises(TypeError, match="output"):
        grad(bad_output, [Value(1.0)])


def test_grad_needs_value_inputs():
    with pytest.raises(TypeError, match=r"inputs\[1\]"):
        grad(Value(1.0), [Value(1.0), 2.0])


def test_create_graph_inside_no_grad_still_builds_the_derivative_graph():
    # PyTorch: create_graph wins over no_grad for the call; never a silent 0.0 later.
    x = Value(2.0)
    y = x**3
    with no_grad():
        (d1,) = grad(y, [x], create_graph=True)
        assert not is_grad_enabled()
        assert (x * 2).parents == ()
    assert d1.data == 12.0 and d1.parents != ()
    (d2,) = grad(d1, [x])
    assert d2 == 12.0  # 6x at x = 2
