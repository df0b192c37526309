"""One record per op: how to call it, its local derivatives, and the same derivatives as text.

A rule's `partials` give d out / d operand from the operands and the output. The same functions
run on floats, for a plain backward pass, and on Values, when `grad(..., create_graph=True)`
wants the derivative as a graph of its own to differentiate again. The helpers below
(`sigmoid`, `log`, `sign`, `is_positive`) are what lets one formula serve both.

- unary:  partials = (f(a, out),)
- binary: partials = (f(a, b, out), g(a, b, out)); only the partials of operands that are
  Values are asked for, so `x ** 2` never takes the log of a negative x.
- nary:   partials = (f(operands, out),), which returns one partial per operand.

A rule's `texts` are those formulas as `explain` prints them, with `{a}`, `{b}` for the
operands and `{out}` for the output; an n-ary op has one text for every operand, in which
`{partner}` is the operand it is multiplied with in `dot`. `σ` is the logistic function, `·`
a product and `[p]` is 1 where p holds, else 0. tests/test_rules.py evaluates every text and
checks that it gives the rule's number, so the text is the formula the engine runs.

The backward pass looks the functions up in `UNARY`, `BINARY` and `NARY`, built from `RULES`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import NamedTuple

from engine import nary
from engine.value import Value, data_of
from engine.value import sigmoid as _sigmoid_float


class Rule(NamedTuple):
    """One op: `call` builds it on Values; `partials` and `texts` are its derivatives."""

    op: str
    kind: str  # "unary", "binary" or "nary": how many operands, and how the partials take them
    call: Callable[..., Value]  # call(a), call(a, b), or call(operands) for an n-ary op
    partials: tuple[Callable, ...]
    texts: tuple[str, ...]

    def formulas(self, operands: Sequence[str], out: str) -> list[str]:
        """The derivative with respect to each operand as text, from the operands' names."""
        if self.kind == "nary":
            half = len(operands) // 2
            partners = [*operands[half:], *operands[:half]]  # dot: xs[i] ↔ ys[i]
            return [self.texts[0].format(partner=p, out=out) for p in partners]
        names = dict(zip("ab", operands), out=out)
        return [text.format(**names) for text in self.texts]


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


def _dot(operands):
    half = len(operands) // 2
    return nary.dot(operands[:half], operands[half:])


def _d_dot(operands, out):
    # dot(xs, ys) = Σ xs[i]·ys[i], operands stored as xs + ys: d/dxs[i] = ys[i], d/dys[i] = xs[i].
    n = len(operands) // 2
    return operands[n:] + operands[:n]


def _unary(op, call, partial, text) -> Rule:
    return Rule(op, "unary", call, (partial,), (text,))


def _binary(op, call, d_a, text_a, d_b, text_b) -> Rule:
    return Rule(op, "binary", call, (d_a, d_b), (text_a, text_b))


def _nary(op, call, partials, text) -> Rule:
    return Rule(op, "nary", call, (partials,), (text,))


# fmt: off
RULES: dict[str, Rule] = {rule.op: rule for rule in (
    _unary("neg", operator.neg, lambda a, out: -1.0, "-1"),
    _unary("abs", abs, lambda a, out: sign(a), "sign({a})"),
    _unary("relu", Value.relu, lambda a, out: 1.0 if is_positive(a) else 0.0, "[{a} > 0]"),
    # tanh' = 4·σ(2a)·σ(-2a) and sigmoid' = σ(a)·σ(-a): unlike 1 - tanh² and σ·(1 - σ), they
    # keep their precision far into the tails (tanh'(20) is 1.7e-17, not 0).
    _unary("tanh", Value.tanh,
           lambda a, out: 4.0 * sigmoid(2.0 * a) * sigmoid(-2.0 * a), "4·σ(2·{a})·σ(-2·{a})"),
    _unary("sigmoid", Value.sigmoid, lambda a, out: out * sigmoid(-a), "{out}·σ(-{a})"),
    _unary("exp", Value.exp, lambda a, out: out, "{out}"),
    _unary("log", Value.log, lambda a, out: 1.0 / a, "1/{a}"),
    _unary("sqrt", Value.sqrt, lambda a, out: 0.5 / out, "0.5/{out}"),
    _binary("+", operator.add, lambda a, b, out: 1.0, "1", lambda a, b, out: 1.0, "1"),
    _binary("-", operator.sub, lambda a, b, out: 1.0, "1", lambda a, b, out: -1.0, "-1"),
    _binary("*", operator.mul, lambda a, b, out: b, "{b}", lambda a, b, out: a, "{a}"),
    _binary("/", operator.truediv,
            lambda a, b, out: 1.0 / b, "1/{b}", lambda a, b, out: -out / b, "-{out}/{b}"),
    _binary("**", operator.pow,
            _d_pow_d_base, "{b}·{a}**({b} - 1)", _d_pow_d_exponent, "{out}·log({a})"),
    _nary("dot", _dot, _d_dot, "{partner}"),
    _nary("sum", nary.sum, lambda operands, out: (1.0,) * len(operands), "1"),
)}
# fmt: on

# The backward pass's lookups, derived from the records: op -> the function(s) it calls.
UNARY = {r.op: r.partials[0] for r in RULES.values() if r.kind == "unary"}
BINARY = {r.op: r.partials for r in RULES.values() if r.kind == "binary"}
NARY = {r.op: r.partials[0] for r in RULES.values() if r.kind == "nary"}
