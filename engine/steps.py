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

from engine.backprop import grads_lock, local_grads
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

    Each step applies the chain rule at one node, adds what it sends to each parent's `.grad`,
    and yields what it did. The walk keeps its own upstream grads, so other passes may run
    between two steps (a `backward()`, another walk): each step's numbers are still this
    walk's, and the grads end up with every pass's share. Exhausted, every `.grad` is exactly
    what `root.backward(gradient)` would have made it (old grads plus this pass; when other
    passes ran in between, their sum up to rounding). Closed halfway, each grad keeps what
    the walk sent so far. If a rule fails, the walk takes back what it sent: grads are as they
    were before it began, plus what other passes added meanwhile.

    >>> from engine import Value
    >>> a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    >>> c = a * b; c.label = 'c'
    >>> print(next(c.backward_steps()))
    c = a * b   dc/dc = 1  →  a.grad += (-3)·1 = -3,  b.grad += 2·1 = 2
    """
    if type(root) is not Value:
        raise TypeError(f"backward_steps needs a Value to start from, not {type(root).__name__}")
    return _walk(root, to_float(gradient, "gradient"), _Sent())


def steps_of(root: Value, gradient: float = 1.0) -> Iterator[Step]:
    """The steps of `backward_steps`, without touching any `.grad`: for tables and pictures."""
    if type(root) is not Value:
        raise TypeError(f"expected a Value, not {type(root).__name__}")
    return _walk(root, to_float(gradient, "gradient"), None)


def _walk(root: Value, gradient: float, sent: _Sent | None) -> Iterator[Step]:
    order = topological_order(root)
    names = node_names(order)
    upstream = {root: gradient}  # d root / d node for this walk alone, summed as backward does
    if sent is not None:
        sent.add([(root, gradient)], start=True)
    for index, node in enumerate(reversed(order)):
        mine = upstream[node]
        try:
            pairs = local_grads(node)
        except BaseException:
            if sent is not None:
                sent.take_back()
            raise
        contributions = []
        for parent, local in pairs:
            amount = local * mine
            upstream[parent] = upstream.get(parent, 0.0) + amount
            contributions.append(Contribution(parent, local, amount))
        if sent is not None:
            sent.add([(c.parent, c.amount) for c in contributions])
        yield Step(node, mine, tuple(contributions), index, len(order), root, names)


class _Sent:
    """What one walk added to each `.grad`: to add it exactly, and to take it back.

    Left alone, a grad is written as `its old value + this walk's sum`, the very float that
    `backward()` makes. When another pass wrote to it in between (the grad is no longer the
    float this walk put there), the walk builds on what it finds.
    """

    def __init__(self) -> None:
        self.written: dict[Value, tuple[float, float, float]] = {}  # node: (base, sum, last)

    def add(self, amounts: list[tuple[Value, float]], start: bool = False) -> None:
        """Add each amount to its node's grad; `start`: the root's gradient, which begins it."""
        with grads_lock:
            for node, amount in amounts:
                self.write(node, amount, start)

    def write(self, node: Value, amount: float, start: bool) -> None:
        record = self.written.get(node)
        if record is None:  # backward sets the root's grad to the gradient, adds the rest to 0.0
            base, total = node.grad, amount if start else 0.0 + amount
        else:
            base, total, last = record
            if node.grad is not last:  # another pass added to it meanwhile: build on that
                base = node.grad - total
            total += amount
        node.grad = base + total
        self.written[node] = (base, total, node.grad)

    def take_back(self) -> None:
        """Undo this walk's additions, keeping what other passes added meanwhile."""
        with grads_lock:
            for node, (base, total, last) in self.written.items():
                node.grad = base if node.grad is last else node.grad - total


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
