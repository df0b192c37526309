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
from engine.text import define, elide, factor, mean_terms, number, passes_on
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
    """The rows of `explain` for steps already taken (their nodes' data and upstream grads).

    No-op nodes (a sum of one term, x / 1, x * 1; unlabelled) get no row: they pass their grad
    on unchanged, and the other rows name what they pass on. A sum divided by its number of
    terms, the mean of a batch, is one row, `mean([...])`. A row wider than WIDTH goes on
    over more lines, broken between formulas, never inside one.
    """
    if not steps:
        return ""
    view = _View(steps)
    header = ("#", "node", "op", "data", "grad", "rule applied")
    rows = [header]
    for step in steps:
        node = step.node
        if node in view.hidden:
            continue
        mean = view.means.get(node)
        rows.append(
            (
                str(len(rows)),
                view.define(node),
                "mean" if mean else node.op or "leaf",
                number(node.data),
                number(step.upstream),
                view.rule(step),
            )
        )
    title = (
        f"backward pass of {view.define(steps[0].node)} with gradient "
        f"{number(steps[0].upstream)}; grad is d{view.out}/d node"
    )
    note = "a node's grad is complete when its row comes; its rule sends local·grad to each parent"
    lines = _layout(rows)
    if view.dropped:
        note += (
            f"\n({view.dropped} no-op node{'s' if view.dropped > 1 else ''} left out: a sum of "
            "one term, × 1 or / 1 passes its grad on unchanged)"
        )
    return "\n".join([title, *lines, note])


WIDTH = 100  # characters; a longer row goes on over more lines, broken between formulas
NODE_WIDTH = 40  # a longer definition gets a line of its own above the rest of its row


def _layout(rows: list[tuple[str, ...]]) -> list[str]:
    """The table's lines: columns aligned, long rules and long definitions wrapped whole."""
    widths = [
        max(len(row[i]) for row in rows if i != 1 or len(row[i]) <= NODE_WIDTH) for i in range(5)
    ]
    lines = []
    for row in rows:
        long_node = len(row[1]) > widths[1]
        cells = [
            cell.rjust(w) if i in (0, 3, 4) else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row[:5], widths, strict=True))
        ]
        if long_node:
            lines.append(f"{cells[0]}  {row[1]}")
            cells[:2] = [" " * widths[0], " " * widths[1]]
        prefix = "  ".join(cells) + "  "
        parts = row[5].split(",  ")
        line = prefix + parts[0]
        for part in parts[1:]:
            if len(line) + 3 + len(part) > WIDTH and line.strip():
                lines.append((line + ",").rstrip())
                line = " " * len(prefix) + part
            else:
                line += ",  " + part
        lines.append(line.rstrip())
    lines.insert(1, "-" * min(WIDTH, len(lines[0])))
    return lines


class _View:
    """How the rows show the graph: which nodes are left out, what names stand for them."""

    def __init__(self, steps: list[Step]) -> None:
        self.names = steps[0].names
        root = steps[0].node
        self.out = self.names.get(steps[0].root, "out") if steps[0].root is not None else "out"
        uses: dict[Value, int] = {}
        for step in steps:
            for x in operands(step.node):
                if type(x) is Value:
                    uses[x] = uses.get(x, 0) + 1
        self.hidden = {
            s.node for s in steps if s.node is not root and not s.node.label and passes_on(s.node)
        }
        self.dropped = len(self.hidden)
        self.means: dict[Value, tuple] = {}
        for step in steps:
            found = mean_terms(step.node)
            if found and step.node not in self.hidden and uses.get(found[0]) == 1:
                self.means[step.node] = found[1]
                if found[0] not in self.hidden:
                    self.hidden.add(found[0])  # a sum shown in its mean's row

    def name(self, x) -> str:
        """What a row calls `x`: the node a chain of no-ops passes on, or a constant."""
        if type(x) is not Value:
            return factor(x)
        while x in self.hidden and passes_on(x) is not None:
            x = passes_on(x)
        return self.names.get(x, "?")

    def define(self, node: Value) -> str:
        terms = self.means.get(node)
        if terms is not None:
            return f"{self.name(node)} = mean([{', '.join(elide([self.name(t) for t in terms]))}])"
        return define(node, {x: self.name(x) for x in (node, *operands(node)) if type(x) is Value})

    def rule(self, step: Step) -> str:
        """`a.grad += b·(-2) = (-3)·(-2) = 6, …` for one step; `leaf` for a leaf."""
        node = step.node
        if not node.op:
            return "leaf: nothing to send back"
        up = factor(step.upstream)
        terms = self.means.get(node)
        if terms is not None:  # the mean's one contribution, passed on to each term by its sum
            (c,) = step.contributions
            shown = [
                (self.name(t), f"1/{len(terms)}", c.local, c.amount)
                for t in terms
                if type(t) is Value
            ]
        else:
            formulas = local_formulas(
                node,
                {x: self.name(x) for x in operands(node) if type(x) is Value}
                | {node: self.name(node)},
            )
            shown = [
                (self.name(c.parent), f, c.local, c.amount)
                for f, c in zip(formulas, step.contributions, strict=True)
            ]
        parts = []
        for name, formula, local, amount in shown:
            symbolic = formula if _SIMPLE.match(formula) else f"({formula})"
            numeric = f"{factor(local)}·{up}"
            if symbolic == factor(local):
                parts.append(f"{name}.grad += {numeric} = {number(amount)}")
            else:
                parts.append(f"{name}.grad += {symbolic}·{up} = {numeric} = {number(amount)}")
        return ",  ".join(elide(parts, 4)) or "only constants: nothing to send back"


def rule(step: Step) -> str:
    """`a.grad += b·(-2) = (-3)·(-2) = 6, …` for one step, with every node by its own name."""
    return _View([step]).rule(step)


def local_formulas(node: Value, names: dict[Value, str]) -> list[str]:
    """d node / d parent as text, one per Value operand (the order of `local_grads`)."""
    xs = operands(node)
    show = [names.get(x, "?") if type(x) is Value else factor(x) for x in xs]
    formulas = RULES[node.op].formulas(show, names.get(node, "?"))
    return [f for x, f in zip(xs, formulas, strict=True) if type(x) is Value]
