"""`gradcheck`: compare the engine's derivatives with central finite differences."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from engine.backprop import grad
from engine.value import Value, to_float


class GradcheckError(RuntimeError):
    """Raised by `gradcheck` when an analytic derivative disagrees with the numeric one."""


def numeric_grad(f: Callable[..., Value], data: Sequence[float], i: int, eps: float) -> float:
    """(f(x + eps·e_i) - f(x - eps·e_i)) / 2·eps: the central difference along input i."""

    def at(shift: float) -> float:
        # Recorded, not under no_grad: f may itself take derivatives (checking a gradient).
        xs = [Value(x) for x in data]
        xs[i] = Value(data[i] + shift)
        return _output_data(f(*xs))

    return (at(eps) - at(-eps)) / (2.0 * eps)


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Value | float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """True if each d f / d input matches central differences: |a - n| <= atol + rtol·|n|.

    `f` is called as `f(*values)` on fresh leaves with the inputs' data, so the inputs' own
    grads are not touched. Raises `GradcheckError` naming every input that fails, and a
    ValueError for an `eps` that is not > 0 or a tolerance that is not >= 0 (or not finite).

    >>> from engine import Value, gradcheck
    >>> gradcheck(lambda x, y: (x * y).tanh(), [Value(0.5), Value(-1.5)])
    True
    """
    if not callable(f):
        raise TypeError(f"f must be callable, not {type(f).__name__}")
    eps = _checked(eps, "eps", zero_allowed=False)
    atol = _checked(atol, "atol", zero_allowed=True)
    rtol = _checked(rtol, "rtol", zero_allowed=True)
    if isinstance(inputs, Value):
        inputs = [inputs]
    labels = [x.label if isinstance(x, Value) else "" for x in inputs]
    data = [to_float(x, f"inputs[{i}]") for i, x in enumerate(inputs)]
    leaves = [Value(x, label) for x, label in zip(data, labels)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, not {type(out).__name__}")
    if not math.isfinite(out.data):
        raise GradcheckError(f"f's output is not finite ({out.data!r}) at inputs {data}")
    analytic = grad(out, leaves)
    failures = []
    for i, a in enumerate(analytic):
        n = numeric_grad(f, data, i, eps)
        name = f"input {i}" + (f" ({labels[i]!r})" if labels[i] else "")
        if not (math.isfinite(a) and math.isfinite(n)):
            failures.append(f"{name}: a derivative is not finite: analytic {a!r}, numeric {n!r}")
        elif abs(a - n) > atol + rtol * abs(n):
            failures.append(f"{name}: analytic {a!r}, numeric {n!r}, difference {abs(a - n):.3g}")
    if failures:
        raise GradcheckError(
            f"gradients disagree with finite differences (eps={eps}, atol={atol}, rtol={rtol}):\n  "
            + "\n  ".join(failures)
        )
    return True


def _checked(x, name: str, zero_allowed: bool) -> float:
    """A step or tolerance as a float, or an error naming it: nan, inf, < 0 would check nothing."""
    x = to_float(x, name)
    if not math.isfinite(x) or x < 0.0 or (x == 0.0 and not zero_allowed):
        allowed = "a finite number >= 0" if zero_allowed else "a finite number > 0"
        raise ValueError(f"{name} must be {allowed}, got {x!r}")
    return x


def _output_data(out) -> float:
    if isinstance(out, Value):
        return out.data
    return to_float(out, "f's output")
