"""The forward pass replayed: `forward_steps()` yields a `ForwardStep` per node, in topological
order, each saying what was computed with its numbers (`e = a * b = 2 · (-3) = -6`).

A built graph already holds every node's data; the replay recomputes each node from its
operands with the op's own call in `engine.rules` (the engine's forward arithmetic), and checks
the result against `node.data` bit for bit, so a graph whose leaves changed since it was built is
refused rather than printed with numbers that no longer add up. The names (`a`, `v3`) and the
rounding are `engine.text`'s, shared with `backward_steps`, `explain` and the pictures.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from engine.graph import topological_order
from engine.rules import RULES
from engine.text import define, elide, factor, node_names, number
from engine.value import Value, operands

_SYMBOLS = {"*": "·"}  # how a binary op reads with numbers: 2 · (-3); the others as they are


@dataclass(eq=False)
class ForwardStep:
    """One node of a forward pass: `value` is what its op computes from its operands' data."""

    node: Value
    value: float
    index: int = 0
    total: int = 1
    names: dict[Value, str] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        node = self.node
        if not node.op:
            return f"{self.names.get(node, '?')} = {number(self.value)} (leaf)"
        return f"{define(node, self.names)} = {with_numbers(node)} = {number(self.value)}"

    def __repr__(self) -> str:
        return f"<ForwardStep {self.index + 1}/{self.total}: {self}>"


def forward_steps(root: Value) -> Iterator[ForwardStep]:
    """Replay the forward pass that built `root`, one node per `next()`, parents first.

    Each node is recomputed from its operands as the engine computes it; if that differs from
    `node.data` (a leaf was changed after the graph was built), a ValueError says so. Nothing in
    the graph is changed.

    >>> from engine import Value
    >>> a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    >>> e = a * b; e.label = 'e'
    >>> [str(step) for step in e.forward_steps()]
    ['a = 2 (leaf)', 'b = -3 (leaf)', 'e = a * b = 2 · (-3) = -6']
    """
    if type(root) is not Value:
        raise TypeError(f"forward_steps needs a Value to start from, not {type(root).__name__}")
    return _replay(root)


def _replay(root: Value) -> Iterator[ForwardStep]:
    order = topological_order(root)
    names = node_names(order)
    for index, node in enumerate(order):
        value = recompute(node, names)
        yield ForwardStep(node, value, index, len(order), names)


def recompute(node: Value, names: dict[Value, str]) -> float:
    """`node`'s data computed again from its operands' data; a ValueError if it is not the same."""
    if not node.op:
        return node.data
    rule = RULES[node.op]
    args = [Value(x.data) if type(x) is Value else x for x in operands(node)]
    try:
        value = (rule.call(args) if rule.kind == "nary" else rule.call(*args)).data
    except (ArithmeticError, ValueError) as error:
        value, failure = None, f"it fails: {error}"
    else:
        failure = f"it gives {value!r}, but the node holds {node.data!r}"
    if value is None or not _same(value, node.data):
        raise ValueError(
            f"the graph changed underneath forward_steps: recomputing {define(node, names)} "
            f"from its operands now, {failure}; a Value's data was changed after the graph "
            "was built, so build the graph again"
        )
    return value


def with_numbers(node: Value) -> str:
    """The right-hand side of `define` with each operand's number: `2 · (-3)`, `tanh(0.5)`."""
    xs = [factor(x.data if type(x) is Value else x) for x in operands(node)]
    op = node.op
    if op == "dot":
        half = len(xs) // 2
        terms = [f"{x}·{y}" for x, y in zip(xs[:half], xs[half:])]
        return " + ".join(elide(terms)) if terms else "0"
    if op == "sum":
        return " + ".join(elide(xs)) if xs else "0"
    if len(xs) == 2:
        return f"{xs[0]} {_SYMBOLS.get(op, op)} {xs[1]}"
    if op == "neg":
        return f"-{xs[0]}"
    return f"{op}({xs[0]})"


def _same(x: float, y: float) -> bool:
    """Equal bit for bit, as floats go: -0.0 is not 0.0, and nan is nan."""
    if x != x:
        return y != y
    return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)
