"""gradcheck: True when derivatives agree with central differences, a clear error otherwise."""

import re

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


@pytest.mark.parametrize(
    "argument, value, allowed",
    [
        ("eps", 0.0, "eps must be a finite number > 0, got 0.0"),
        ("eps", -1e-6, "eps must be a finite number > 0, got -1e-06"),
        ("eps", float("nan"), "eps must be a finite number > 0, got nan"),
        ("eps", float("inf"), "eps must be a finite number > 0, got inf"),
        ("atol", -1e-5, "atol must be a finite number >= 0, got -1e-05"),
        ("atol", float("nan"), "atol must be a finite number >= 0, got nan"),
        ("rtol", -0.1, "rtol must be a finite number >= 0, got -0.1"),
        ("rtol", float("inf"), "rtol must be a finite number >= 0, got inf"),
    ],
)
def test_a_step_or_tolerance_that_would_check_nothing_is_refused_by_name(argument, value, allowed):
    # eps=0 divides by zero; a negative eps flips the sign; a nan or inf tolerance passes anything
    with pytest.raises(ValueError, match=re.escape(allowed)):
        gradcheck(lambda a: a * a, [Value(1.0)], **{argument: value})
    with pytest.raises(TypeError, match=f"{argument} must be a real number, not str"):
        gradcheck(lambda a: a * a, [Value(1.0)], **{argument: "1e-6"})


def test_zero_tolerances_are_allowed():
    assert gradcheck(lambda a: a * 2.0, [Value(1.0)], eps=0.5, atol=0.0, rtol=0.0)
