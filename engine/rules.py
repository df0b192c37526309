"""Each op's local derivatives, written once, in one table.

A rule gives d out / d operand from the operands and the output. The same rule runs on floats,
for a plain backward pass, and on Values, when `grad(..., create_graph=True)` wants the derivative
as a graph of its own to differentiate again. The helpers below (`sigmoid`, `log`, `sign`,
`is_positive`) are what lets one formula serve both.

- UNARY[op](a, out) -> d out / d a
- BINARY[op] = (d out / d a, d out / d b), each a function of (a, b, out); only the partials of
  operands that are Values are asked for, so `x ** 2` never takes the log of a negative x.
- NARY[op](operands, out) -> one partial per operand.
"""

from __future__ import annotations

import math

from engine.value import Value, data_of
from engine.value import sigmoid as _sigmoid_float


def is_positive(x) -> bool:
    return data_of(x) > 0.0


def sign(x) -> float:
    x = data_of(x)
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


def sigmoid(x):
    return x.sigmoid() if type(x) is Value else _sigmoid_float(x)


def log(x):
    return x.log() if type(x) is Value else math.log(x)


def _d_pow_d_base(a, b, out):
    # b·a**(b-1); where b = 0 the power is the constant 1 (as in PyTorch, which masks it too),
    # and a**-1 would fail at a = 0 for no reason.
    if data_of(b) == 0.0:
        return 0.0
    return b * a ** (b - 1.0)


def _d_pow_d_exponent(a, b, out):
    # d a**b / d b = a**b · ln a, defined for a > 0; at a = 0 the limit is 0 for b > 0.
    if is_positive(a):
        return out * log(a)
    if data_of(a) == 0.0 and data_of(b) > 0.0:
        return 0.0
    raise ValueError(
        f"the derivative of x ** y with respect to y needs x > 0, got x = {data_of(a)!r}"
    )


UNARY = {
    "neg": lambda a, out: -1.0,
    "abs": lambda a, out: sign(a),
    "relu": lambda a, out: 1.0 if is_positive(a) else 0.0,
    "exp": lambda a, out: out,
    "log": lambda a, out: 1.0 / a,
    "sqrt": lambda a, out: 0.5 / out,
    # sigmoid' = s(x)·s(-x) and tanh' = 4·s(2x)·s(-2x): unlike 1 - tanh², they keep their
    # precision far into the tails (tanh'(20) is 1.7e-17, not 0).
    "sigmoid": lambda a, out: out * sigmoid(-a),
    "tanh": lambda a, out: 4.0 * sigmoid(2.0 * a) * sigmoid(-2.0 * a),
}

BINARY = {
    "+": (lambda a, b, out: 1.0, lambda a, b, out: 1.0),
    "-": (lambda a, b, out: 1.0, lambda a, b, out: -1.0),
    "*": (lambda a, b, out: b, lambda a, b, out: a),
    "/": (lambda a, b, out: 1.0 / b, lambda a, b, out: -out / b),
    "**": (_d_pow_d_base, _d_pow_d_exponent),
}


def _d_dot(operands, out):
    # dot(xs, ys) = Σ xs[i]·ys[i], operands stored as xs + ys: d/dxs[i] = ys[i], d/dys[i] = xs[i].
    n = len(operands) // 2
    return operands[n:] + operands[:n]


NARY = {
    "dot": _d_dot,
    "sum": lambda operands, out: (1.0,) * len(operands),
}
