"""Walks over the graph: a node's operands and parents, and the topological order backward needs."""

from __future__ import annotations

from engine.value import Value


def operands(node: Value) -> tuple:
    """Everything `node` was computed from, in order: Values and plain-number constants."""
    a = node._a
    if a is None:
        return ()
    if type(a) is tuple:
        return a
    b = node._b
    return (a,) if b is None else (a, b)


def parents(node: Value) -> tuple[Value, ...]:
    """The Values among `node`'s operands, in operand order (a Value used twice shows twice)."""
    return tuple(x for x in operands(node) if type(x) is Value)


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its parents; `root` comes last.

    Iterative depth-first search (no recursion limit: a chain of a million nodes is fine) that
    looks at each edge once.
    """
    if type(root) is not Value:
        raise TypeError(f"expected a Value, not {type(root).__name__}")
    order = []
    seen = {root}
    stack = [(root, iter(operands(root)))]
    push, pop, emit, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        node, pending = stack[-1]
        for x in pending:
            if type(x) is Value and x not in seen:
                mark(x)
                push((x, iter(operands(x))))
                break
        else:
            pop()
            emit(node)
    return order
