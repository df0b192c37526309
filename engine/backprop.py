"""Reverse-mode differentiation: `backward()` adds into `.grad`; `grad()` returns derivatives."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from engine.graph import topological_order
from engine.rules import BINARY, NARY, UNARY
from engine.value import Value, set_recording, to_float

# Held while a pass writes `.grad`: passes in several threads take turns, so every contribution
# is added once and none is lost between one thread's read and another's write.
grads_lock = threading.Lock()


def partials(node: Value, create_graph: bool = False) -> tuple[tuple, tuple]:
    """`node`'s operands and d node / d operand for each (None for a constant operand).

    The numbers come from the op's rule in `engine.rules`, run on the operands' data, or with
    `create_graph` on the Values themselves, so that each derivative is a graph of its own.
    """
    a = node._a
    if a is None:
        return (), ()
    out = node if create_graph else node.data
    try:
        if type(a) is tuple:
            xs = a if create_graph else [x.data if type(x) is Value else x for x in a]
            return a, NARY[node.op](xs, out)
        b = node._b
        if b is None:
            return (a,), (UNARY[node.op](a if create_graph else a.data, out),)
        if create_graph:
            ad, bd = a, b
        else:
            ad = a.data if type(a) is Value else a
            bd = b.data if type(b) is Value else b
        da, db = BINARY[node.op]
        return (a, b), (
            da(ad, bd, out) if type(a) is Value else None,
            db(ad, bd, out) if type(b) is Value else None,
        )
    except (ArithmeticError, ValueError) as error:
        raise type(error)(f"backward through {node.op} (output {node.data!r}): {error}") from None


def local_grads(node: Value, create_graph: bool = False) -> list[tuple[Value, float | Value]]:
    """(parent, d node / d parent) for each Value operand of `node`, in operand order."""
    xs, ds = partials(node, create_graph)
    return [(x, d) for x, d in zip(xs, ds) if type(x) is Value]


def backward(root: Value, gradient: float = 1.0) -> None:
    """Add d root / d node, times `gradient`, to `.grad` of every node `root` depends on.

    Each call sends only its own gradient down: the walk runs on zeroed grads and adds the old
    ones back at the end, so calling it twice doubles every grad (as in PyTorch). Calls from
    several threads take turns, so each adds all of its gradient. If a rule fails, every grad
    is left as it was.
    """
    gradient = to_float(gradient, "gradient")
    order = topological_order(root)
    grads_lock.acquire()  # not `with`: half the cost, which shows on a small graph
    try:
        saved = [node.grad for node in order]
        for node in order:
            node.grad = 0.0
        root.grad = gradient
        try:
            for node in reversed(order):
                upstream = node.grad
                # A leaf has nothing to send; a zero upstream (say behind a relu that is off) sends
                # zeros, which would change no grad: skip both. backward_steps shows every node.
                if node._a is None or upstream == 0.0:
                    continue
                xs, ds = partials(node)
                for x, d in zip(xs, ds):
                    if type(x) is Value:
                        x.grad += d * upstream
        except BaseException:
            for node, old in zip(order, saved):
                node.grad = old
            raise
        for node, old in zip(order, saved):
            node.grad = old + node.grad
    finally:
        grads_lock.release()


def grad(
    output: Value, inputs: Value | Iterable[Value], create_graph: bool = False
) -> list[float | Value]:
    """d output / d input for each input, leaving every `.grad` untouched.

    With `create_graph=True` the derivatives are Values joined to the graph, so `grad` applies
    to them again (second derivatives and beyond).
    """
    if type(output) is not Value:
        raise TypeError(f"output must be a Value, not {type(output).__name__}")
    inputs = [inputs] if type(inputs) is Value else list(inputs)
    for i, x in enumerate(inputs):
        if type(x) is not Value:
            raise TypeError(f"inputs[{i}] must be a Value, not {type(x).__name__}")
    if not create_graph:
        return _derivatives(output, inputs, False)
    was = set_recording(True)  # as in PyTorch, create_graph records even inside no_grad
    try:
        result = _derivatives(output, inputs, True)
    finally:
        set_recording(was)
    return [d if type(d) is Value else Value(d) for d in result]


def _derivatives(output: Value, inputs: list[Value], create_graph: bool) -> list:
    grads: dict[Value, float | Value] = {output: 1.0}
    for node in reversed(topological_order(output)):
        upstream = grads[node]
        for parent, local in local_grads(node, create_graph):
            contribution = local * upstream
            before = grads.get(parent)
            grads[parent] = contribution if before is None else before + contribution
    return [grads.get(x, 0.0) for x in inputs]
