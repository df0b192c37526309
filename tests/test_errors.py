"""Bad input gets a clear error that names what was wrong, and changes nothing."""

import operator

import pytest

import engine
from engine import Value


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda v: v + "a", TypeError, "str"),
        (lambda v: "a" * v, TypeError, "str"),
        (lambda v: v / None, TypeError, "NoneType"),
        (lambda v: v - [1], TypeError, "list"),
        (lambda v: v ** "2", TypeError, "str"),
        (lambda v: 1j + v, TypeError, "complex"),
        (lambda v: v * True, TypeError, "bool"),
        (lambda v: Value(0.0).log(), ValueError, "log.*0.0"),
        (lambda v: Value(-1.0).log(), ValueError, "log.*-1.0"),
        (lambda v: Value(-1.0).sqrt(), ValueError, "sqrt.*-1.0"),
        (lambda v: Value(-8.0) ** 0.5, ValueError, r"\*\*.*-8.0"),
        (lambda v: Value(-8.0) ** Value(0.5), ValueError, r"\*\*.*-8.0"),
        (lambda v: v / 0, ZeroDivisionError, "division by zero"),
        (lambda v: v / Value(0.0), ZeroDivisionError, "division by zero"),
        (lambda v: 1 / Value(0.0), ZeroDivisionError, "division by zero"),
        (lambda v: Value(0.0) ** -1, ZeroDivisionError, "negative power"),
        (lambda v: Value(1000.0).exp(), OverflowError, "exp.*1000.0"),
        (lambda v: Value(10.0) ** 400, OverflowError, r"\*\*.*10.0"),
        (lambda v: 10 ** Value(400.0), OverflowError, r"\*\*.*400.0"),
        (lambda v: engine.dot([v], [v, v]), ValueError, "same length"),
        (lambda v: engine.dot([v], ["x"]), TypeError, "str"),
        (lambda v: engine.sum(v), TypeError, "Value"),
    ],
)
def test_bad_input_raises_a_clear_error(make, error, words):
    v = Value(2.0, "v")
    with pytest.raises(error, match=words):
        make(v)


def test_a_failed_op_leaves_the_graph_as_it_was():
    a = Value(-1.0)
    b = a * 2
    with pytest.raises(ValueError):
        b.log()
    assert b.parents == (a,) and b.data == -2.0 and b.grad == 0.0
    b.backward()
    assert a.grad == 2.0


@pytest.mark.parametrize("op", [operator.add, operator.mul, operator.sub, operator.truediv])
def test_numbers_of_other_real_types_are_accepted(op):
    from fractions import Fraction

    assert op(Value(3.0), Fraction(1, 2)).data == op(3.0, 0.5)
