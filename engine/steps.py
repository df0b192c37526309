"""Backward one node at a time: `backward_steps()` yields a `Step` per node, in backward's order.

The walk is `engine.backprop.backward`'s walk, cut at each node so a person can look between
two applications of the chain rule. Every number comes from `engine.local_grads`; nothing here
knows a derivative, and the text (names like `a`, `v3`; rounded numbers) is `engine.text`'s,
shared with `explain` and `engine.viz`, so a line printed here points at the same box in a
picture.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

from engine.backprop import local_grads
from engine.graph import topological_order
from engine.text import define, elide, factor, no_op, node_names, number, passes_on
from engine.value import Value, to_float


class Contribution(NamedTuple):
    """What one step sent to one parent: `amount = local * upstream` was added to `parent.grad`."""

    parent: Value
    local: float
    amount: float


@dataclass(eq=False)
class Step:
    """One application of the chain rule, at `node`, during a backward pass.

    `upstream` is d output / d node (the node's grad from this pass, complete by now);
    `contributions` has one entry per parent, in operand order. `str(step)` reads as one line.
    """

    node: Value
    upstream: float
    contributions: tuple[Contribution, ...]
    index: int = 0
    total: int = 1
    root: Value | None = None
    names: dict[Value, str] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        name = self.names.get
        me = name(self.node) or "?"
        out = name(self.root) if self.root is not None else "out"
        head = f"{define(self.node, self.names)}   d{out}/d{me} = {number(self.upstream)}"
        if not self.node.op:
            return f"{head}   (leaf)"
        if not self.contributions:
            return f"{head}   (only constants: nothing to send back)"
        if len(self.contributions) == 1 and passes_on(self.node) is not None:
            c = self.contributions[0]  # local 1: say so rather than multiply by it
            sent = f"{name(c.parent)}.grad += {number(c.amount)}"
            return f"{head}  →  {sent}   ({no_op(self.node)}: passes its grad on unchanged)"
        up = factor(self.upstream)
        sends = [
            f"{name(c.parent)}.grad += {factor(c.local)}·{up} = {number(c.amount)}"
            for c in self.contributions
        ]
        return f"{head}  →  " + ",  ".join(elide(sends, 4))

    def __repr__(self) -> str:
        return f"<Step {self.index + 1}/{self.total}: {self}>"


def backward_steps(root: Value, gradient: float = 1.0) -> Iterator[Step]:
    """The backward pass of `backward()`, one node per `next()`, same order, same floats.

    Each step applies the chain rule at one node and yields what it did. Exhausted, every
    `.grad` is exactly what `root.backward(gradient)` would have made it (old grads plus this
    pass). Closed halfway, each grad keeps what it got so far (plus its old value). If a rule
    fails, every grad is left as it was, as with `backward()`.

    >>> from engine import Value
    >>> a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    >>> c = a * b; c.label = 'c'
    >>> print(next(c.backward_steps()))
    c = a * b   dc/dc = 1  →  a.grad += (-3)·1 = -3,  b.grad += 2·1 = 2
    """
    if type(root) is not Value:
        raise TypeError(f"backward_steps needs a Value to start from, not {type(root).__name__}")
    return _walk(root, to_float(gradient, "gradient"))


def _walk(root: Value, gradient: float) -> Iterator[Step]:
    order = topological_order(root)
    names = node_names(order)
    saved = [node.grad for node in order]
    for node in order:
        node.grad = 0.0
    root.grad = gradient
    add_back = True
    try:
        for index, node in enumerate(reversed(order)):
            upstream = node.grad
            try:
                pairs = local_grads(node)
            except BaseException:
                for each, old in zip(order, saved, strict=True):
                    each.grad = old
                add_back = False
                raise
            sent = []
            for parent, local in pairs:
                amount = local * upstream
                parent.grad += amount
                sent.append(Contribution(parent, local, amount))
            yield Step(node, upstream, tuple(sent), index, len(order), root, names)
    finally:
        if add_back:
            for node, old in zip(order, saved, strict=True):
                node.grad = old + node.grad


@contextmanager
def keeping_grads(nodes: Iterable[Value]) -> Iterator[None]:
    """Run a backward pass for show: every grad of `nodes` is put back when the block ends."""
    nodes = list(nodes)
    saved = [node.grad for node in nodes]
    try:
        yield
    finally:
        for node, old in zip(nodes, saved, strict=True):
            node.grad = old
