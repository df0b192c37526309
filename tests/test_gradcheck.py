"""gradcheck: True when derivatives agree with central differences, a clear error otherwise."""

import pytest

from engine import GradcheckError, Value, gradcheck


def test_gradcheck_passes_on_correct_derivatives_and_leaves_inputs_alone():
    x, y = Value(0.5, "x"), Value(-1.5, "y")
    assert gradcheck(lambda a, b: (a * b).tanh() + a**2 / b.exp(), [x, y]) is True
    assert x.grad == 0.0 and y.grad == 0.0


def test_gradcheck_accepts_plain_numbers_as_inputs():
    assert gradcheck(lambda a: a.sigmoid(), [0.3])


def test_gradcheck_names_each_failing_input_with_both_values():
    # relu's derivative jumps at 0: central differences see 0.5 where backward says 0.
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: a.relu() * b, [Value(0.0, "a"), Value(2.0, "b")])
    message = str(info.value)
    assert "input 0 ('a')" in message
    assert "analytic 0.0" in message and "numeric 1.0" in message
    assert "input 1" not in message


def test_gradcheck_fails_clearly_on_a_non_finite_output():
    with pytest.raises(GradcheckError, match="not finite"):
        gradcheck(lambda a: a * float("inf"), [Value(1.0)])


def test_gradcheck_needs_a_value_from_f():
    with pytest.raises(TypeError, match="return a Value"):
        gradcheck(lambda a: "nope", [Value(1.0)])


def test_tolerances_are_atol_plus_rtol_times_numeric():
    # d/dx 1e6·x² at 1 = 2e6; central difference error is ~1e-4 absolute, well inside rtol.
    assert gradcheck(lambda a: 1e6 * a * a, [Value(1.0)])
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: 1e6 * a * a, [Value(1.0)], rtol=0.0, atol=1e-12)


def test_gradcheck_of_a_function_that_takes_a_derivative():
    from engine import grad

    def slope(a):
        return grad(a**3 * a.tanh(), [a], create_graph=True)[0]

    assert gradcheck(slope, [Value(0.7)])
