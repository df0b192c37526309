"""How `steps`, `explain` and `viz` write a graph as text: node names, `c = a * b`, numbers.

The names (`a`, `v3`) are shared by all three, so a line printed by `backward_steps` or
`explain` points at the same box in a picture.
"""

from __future__ import annotations

import math

from engine.value import Value, operands

MAX_TERMS = 6  # a line shows at most this many contributions or operands; the middle is elided


def node_names(order: list[Value]) -> dict[Value, str]:
    """A short, unique name per node: its label, else `v<i>` (i = place in topological order).

    A label used by several nodes gets `#<i>` appended, so every line can be followed.
    """
    counts: dict[str, int] = {}
    for node in order:
        if node.label:
            counts[node.label] = counts.get(node.label, 0) + 1
    names: dict[Value, str] = {}
    used: set[str] = set()
    for i, node in enumerate(order):
        if node.label:
            name = node.label if counts[node.label] == 1 else f"{node.label}#{i}"
        else:
            name = f"v{i}"
        while name in used or (not node.label and name in counts):
            name += "'"
        used.add(name)
        names[node] = name
    return names


def define(node: Value, names: dict[Value, str]) -> str:
    """`c = a * b`, `v3 = tanh(v2)`, `v7 = dot([w0, w1, …], [x0, x1, …])`; a leaf is its name."""
    me = names.get(node, "?")
    return me if not node.op else f"{me} = {expression(node, names)}"


def expression(node: Value, names: dict[Value, str]) -> str:
    """The right-hand side of `define`: how `node` was computed, operands by name."""

    def show(x) -> str:
        return names.get(x, "?") if type(x) is Value else factor(x)

    xs = operands(node)
    op = node.op
    if op == "dot":
        half = len(xs) // 2
        return (
            f"dot([{', '.join(elide([show(x) for x in xs[:half]]))}], "
            f"[{', '.join(elide([show(x) for x in xs[half:]]))}])"
        )
    if op == "sum":
        return f"sum([{', '.join(elide([show(x) for x in xs]))}])"
    if len(xs) == 2:
        return f"{show(xs[0])} {op} {show(xs[1])}"
    if op == "neg":
        return f"-{show(xs[0])}"
    return f"{op}({show(xs[0])})" if xs else op


def elide(items: list[str], keep: int = MAX_TERMS) -> list[str]:
    """At most `keep` items: the first ones, `… n more …`, and the last one."""
    if len(items) <= keep:
        return items
    head = keep - 2
    return items[:head] + [f"… {len(items) - head - 1} more …", items[-1]]


def number(x: float) -> str:
    """A float rounded for reading: 4 significant digits, no `-0`."""
    if x == 0.0:
        return "0"
    if not math.isfinite(x):
        return repr(x)
    return f"{x:.4g}"


def factor(x: float) -> str:
    """`number(x)`, in parentheses when negative, so that `(-3)·(-2)` reads as a product."""
    text = number(x)
    return f"({text})" if text.startswith("-") else text


def passes_on(node: Value) -> Value | None:
    """The operand a no-op node passes on unchanged (a sum of one term, x / 1, x * 1), else None.

    Such a node has its operand's data and a local derivative of exactly 1, so a row or a line
    can name the operand instead (`explain` does) or say the node changes nothing (steps do).
    """
    xs = operands(node)
    op = node.op
    if op == "sum" and len(xs) == 1 and type(xs[0]) is Value:
        return xs[0]
    if op not in ("/", "*") or len(xs) != 2:
        return None
    a, b = xs
    if type(a) is Value and type(b) is not Value and b == 1.0:
        return a
    if op == "*" and type(b) is Value and type(a) is not Value and a == 1.0:
        return b
    return None


def mean_terms(node: Value) -> tuple[Value, tuple] | None:
    """(the sum, its terms) when `node` is sum(terms) / len(terms), a mean; else None."""
    xs = operands(node)
    if node.op != "/" or len(xs) != 2 or type(xs[0]) is not Value or type(xs[1]) is Value:
        return None
    total, n = xs
    terms = operands(total)
    if total.op != "sum" or total.label or len(terms) != n:
        return None
    return total, terms


def no_op(node: Value) -> str:
    """What a node of `passes_on` is, in words: 'a sum of one term', 'the mean of one term'..."""
    if node.op == "sum":
        return "a sum of one term"
    if node.op == "/":
        return "the mean of one term" if mean_terms(node) else "÷ 1"
    return "× 1"
