"""`explain(output)`: a whole backward pass as a table, one row per node, in backward's order.

Each row says what the chain rule did at that node: `parent.grad += local · grad`, first with
the local derivative as a formula of the node's operands (so the rule can be recognised), then
with the numbers `backward_steps` used. The formulas are the rules' own text, kept in
`engine.rules` next to the code they describe; every number comes from the pass itself.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

from engine.rules import RULES
from engine.steps import Step, steps_of
from engine.text import define, elide, factor, number
from engine.value import Value, operands

_SIMPLE = re.compile(r"^(-?[\w.#']+|\(-[\d.e+-]+\))$")


def explain(output: Value, gradient: float = 1.0, file: TextIO | None = None) -> str:
    """Print the backward pass from `output` as a table, and return the text.

    Rows come in the order backward visits the nodes (output first). `grad` is d output / d node
    for this pass alone. Every `.grad` is left as it was: explaining is not training (call
    `backward()` to keep the gradients). `file` is where to print (default: standard output).
    In a REPL write `text = explain(L)` to see the table once.
    """
    if type(output) is not Value:
        raise TypeError(f"explain needs a Value, not {type(output).__name__}")
    text = table(list(steps_of(output, gradient)))
    print(text, file=sys.stdout if file is None else file)
    return text


def table(steps: list[Step]) -> str:
    """The rows of `explain` for steps already taken (their nodes' data and upstream grads)."""
    if not steps:
        return ""
    names = steps[0].names
    out = names[steps[0].root] if steps[0].root is not None else "out"
    header = ("#", "node", "op", "data", "grad", "rule applied")
    rows = [header]
    for step in steps:
        node = step.node
        rows.append(
            (
                str(step.index + 1),
                define(node, names),
                node.op or "leaf",
                number(node.data),
                number(step.upstream),
                rule(step),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if i in (0, 3, 4) else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join(cells + [row[-1]]).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    title = (
        f"backward pass of {define(steps[0].node, names)} with gradient "
        f"{number(steps[0].upstream)}; grad is d{out}/d node"
    )
    note = "a node's grad is complete when its row comes; its rule sends local·grad to each parent"
    return "\n".join([title, *lines, note])


def rule(step: Step) -> str:
    """`a.grad += b·(-2) = (-3)·(-2) = 6, …` for one step; `leaf` for a leaf."""
    node = step.node
    if not node.op:
        return "leaf: nothing to send back"
    formulas = local_formulas(node, step.names)
    up = factor(step.upstream)
    parts = []
    for formula, c in zip(formulas, step.contributions, strict=True):
        name = step.names.get(c.parent, "?")
        symbolic = formula if _SIMPLE.match(formula) else f"({formula})"
        numeric = f"{factor(c.local)}·{up}"
        if symbolic == factor(c.local):
            parts.append(f"{name}.grad += {numeric} = {number(c.amount)}")
        else:
            parts.append(f"{name}.grad += {symbolic}·{up} = {numeric} = {number(c.amount)}")
    return ",  ".join(elide(parts, 4)) or "only constants: nothing to send back"


def local_formulas(node: Value, names: dict[Value, str]) -> list[str]:
    """d node / d parent as text, one per Value operand (the order of `local_grads`)."""
    xs = operands(node)
    show = [names.get(x, "?") if type(x) is Value else factor(x) for x in xs]
    formulas = RULES[node.op].formulas(show, names.get(node, "?"))
    return [f for x, f in zip(xs, formulas, strict=True) if type(x) is Value]
