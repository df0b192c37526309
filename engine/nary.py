"""Fused n-ary ops: `dot` and `sum` are one node each, however many operands they have.

A neuron's weighted sum as one `dot` node instead of 2n `*` and `+` nodes: fewer nodes to
allocate and walk, and a graph a person can read.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from operator import mul

from engine.value import Value, constant, make_node


def _operands(xs: Sequence, op: str, what: str) -> tuple[tuple, list[float]]:
    """`xs` as a tuple of Values and float constants, and the data of each."""
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__"):
        raise TypeError(f"{what} must be a sequence of Values or numbers, not {type(xs).__name__}")
    xs = tuple(xs)
    kinds = set(map(type, xs))  # checked in C, then one pass for the data
    if kinds == _VALUES:
        return xs, [x.data for x in xs]
    if kinds <= _VALUES_AND_FLOATS:
        return xs, [x.data if type(x) is Value else x for x in xs]
    xs = tuple([x if type(x) is Value else _number(x, op) for x in xs])
    return xs, [x.data if type(x) is Value else x for x in xs]


_VALUES = {Value}
_VALUES_AND_FLOATS = {Value, float}


def _number(x, op: str) -> float:
    try:
        return constant(x, op, None, "right")
    except TypeError:
        raise TypeError(f"{op} takes Values or numbers, not {type(x).__name__}") from None


def dot(xs: Sequence[Value | float], ys: Sequence[Value | float]) -> Value:
    """Σ xs[i]·ys[i] as a single node (op 'dot') whose parents are the Values of xs, then of ys."""
    xs, xd = _operands(xs, "dot", "xs")
    ys, yd = _operands(ys, "dot", "ys")
    if len(xs) != len(ys):
        raise ValueError(f"dot needs sequences of the same length, got {len(xs)} and {len(ys)}")
    return make_node(builtins.sum(map(mul, xd, yd), 0.0), "dot", xs + ys)


def matvec(rows: Sequence[Sequence[Value | float]], xs: Sequence[Value | float]) -> list[Value]:
    """[dot(row, xs) for row in rows], with xs read once: a layer's weighted sums, one node each."""
    xs, xd = _operands(xs, "matvec", "xs")
    out = []
    for i, row in enumerate(rows):
        row, rd = _operands(row, "matvec", f"rows[{i}]")
        if len(row) != len(xs):
            raise ValueError(f"matvec: rows[{i}] has {len(row)} entries but xs has {len(xs)}")
        out.append(make_node(builtins.sum(map(mul, rd, xd), 0.0), "dot", row + xs))
    return out


def sum(xs: Sequence[Value | float]) -> Value:  # noqa: A001 - engine.sum, as torch.sum
    """Σ xs[i] as a single node (op 'sum')."""
    xs, xd = _operands(xs, "sum", "xs")
    return make_node(builtins.sum(xd, 0.0), "sum", xs)
