"""Fused n-ary ops: `dot` and `sum` are one node each, however many operands they have.

A neuron's weighted sum as one `dot` node instead of 2n `*` and `+` nodes: fewer nodes to
allocate and walk, and a graph a person can read.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from operator import mul

from engine.value import Value, _constant, _node


def _operands(xs: Sequence, op: str, what: str) -> tuple:
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__"):
        raise TypeError(f"{what} must be a sequence of Values or numbers, not {type(xs).__name__}")
    return tuple([x if type(x) is Value else _operand(x, op) for x in xs])


def _operand(x, op: str) -> float:
    try:
        return _constant(x, op, None, "right")
    except TypeError:
        raise TypeError(
            f"{op} takes Values or numbers, not {type(x).__name__}"
        ) from None


def _data(xs: tuple) -> list[float]:
    return [x.data if type(x) is Value else x for x in xs]


def dot(xs: Sequence[Value | float], ys: Sequence[Value | float]) -> Value:
    """Σ xs[i]·ys[i] as a single node (op 'dot') whose parents are the Values of xs, then of ys."""
    xs = _operands(xs, "dot", "xs")
    ys = _operands(ys, "dot", "ys")
    if len(xs) != len(ys):
        raise ValueError(f"dot needs sequences of the same length, got {len(xs)} and {len(ys)}")
    return _node(builtins.sum(map(mul, _data(xs), _data(ys))), "dot", xs + ys)


def sum(xs: Sequence[Value | float]) -> Value:  # noqa: A001 - engine.sum, as torch.sum
    """Σ xs[i] as a single node (op 'sum')."""
    xs = _operands(xs, "sum", "xs")
    return _node(builtins.sum(_data(xs)), "sum", xs)
