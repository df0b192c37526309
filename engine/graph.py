"""The walk over the graph: the topological order that backward and every view of it follow.

A node's `operands` and `parents` are read in `engine.value`, next to the layout they decode;
they are re-exported here for code that looks for them with the walk.
"""

from __future__ import annotations

from engine.value import Value, operands, parents

__all__ = ["operands", "parents", "topological_order"]


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its parents; `root` comes last.

    Iterative depth-first search: no recursion limit (a chain of a million nodes is fine), and
    a stack of bare references rather than a frame or iterator per node, so deep graphs stay
    cheap. A node is pushed once to expand it and once more to emit it after its parents;
    operands are pushed last-first so the first operand is explored first.
    """
    if type(root) is not Value:
        raise TypeError(f"expected a Value, not {type(root).__name__}")
    order: list[Value] = []
    seen: set[Value] = set()
    nodes = [root]
    parents_done = [False]  # True when popped: the node's parents are all in `order`
    pop_node, pop_done = nodes.pop, parents_done.pop
    push_node, push_done = nodes.append, parents_done.append
    emit, mark = order.append, seen.add
    while nodes:
        node = pop_node()
        if pop_done():
            emit(node)
            continue
        if node in seen:  # reached by another path and expanded already
            continue
        mark(node)
        push_node(node)
        push_done(True)
        a = node._a
        if a is None:
            continue
        if type(a) is tuple:
            pending = reversed(a)
        else:
            b = node._b
            pending = (a,) if b is None else (b, a)
        for x in pending:
            if type(x) is Value and x not in seen:
                push_node(x)
                push_done(False)
    return order
