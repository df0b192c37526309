"""Collapsed pictures: `draw_dot(root, group=...)` draws all Values of one group as one box.

`group(value)` returns a group's name, or None to draw that Value as it is. The engine knows
nothing of neurons; `nn.viz.by_neuron` and `nn.viz.by_layer` are groupings made from nn's
labels. A group's box shows its name, its output's data and grad, and how many Values it holds.

Its output is the group's Value that the rest of the graph uses (or the root, if it is in the
group); when several are used outside (a layer's neurons), the last of them in topological
order, and the box says how many outputs there are. Edges between boxes are kept, one per pair
of boxes; edges inside a group and the group's constants are not drawn.

In the frames of `render_backward(..., group=...)`, the steps of one box that follow each other
are one frame: the box being processed is amber, the boxes it sent gradients to green.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field

from engine.player import Focus, svg_focus
from engine.steps import Step, steps_of
from engine.text import define, elide, node_names, number
from engine.value import Value, operands
from engine.viz import (
    CURRENT,
    EDGE,
    NEW_GRAD,
    OUTPUT,
    PENDING,
    Drawing,
    html_text,
    node_fill,
    op_circle,
    quoted_text,
)

GROUP = "#e3f1ef"  # a group's box
Grouping = Callable[[Value], "str | None"]
# Cells of a fixed size, so that every frame keeps one layout as the numbers in it change.
_CELL = 'fixedsize="true" width="104" height="20"'
_SIDES = {"-": ("+", "−"), "/": ("num", "den"), "**": ("base", "exp")}


@dataclass(eq=False)
class Group:
    """The Values drawn as one box: `members` in topological order, `outputs` used outside."""

    name: str
    members: list[Value] = field(default_factory=list)
    outputs: list[Value] = field(default_factory=list)

    @property
    def output(self) -> Value:
        """The Value whose data and grad the box shows: the last output in topological order."""
        return self.outputs[-1]


@dataclass
class Collapsed:
    """A graph with its groups collapsed: which box each Value is in, and the edges between."""

    order: list[Value]
    names: dict[Value, str]
    box: dict[Value, str]  # Value -> the id of its box: 'g<j>' for a group, 'n<i>' for a Value
    groups: dict[str, Group]  # 'g<j>' -> its group
    edges: dict[tuple[str, str, str], None]  # (from, to, side label), in drawing order

    @property
    def boxes(self) -> int:
        """How many boxes the picture has: one per group and one per Value not in a group."""
        return len(set(self.box.values()))


def check_grouping(group) -> None:
    """A TypeError unless `group` is a function (or None)."""
    if group is not None and not callable(group):
        raise TypeError(
            "group must be a function Value -> group name (str) or None, e.g. "
            f"nn.viz.by_neuron; not {type(group).__name__}"
        )


def collapse(order: list[Value], group: Grouping) -> Collapsed:
    """Ask `group` about every Value of `order` and collapse each group into one box."""
    names = node_names(order)
    box: dict[Value, str] = {}
    ids: dict[str, str] = {}
    groups: dict[str, Group] = {}
    for i, node in enumerate(order):
        name = _group_name(group, node, names)
        if name is None:
            box[node] = f"n{i}"
            continue
        key = ids.setdefault(name, f"g{len(ids)}")
        groups.setdefault(key, Group(name)).members.append(node)
        box[node] = key
    used_outside = {order[-1]}
    edges: dict[tuple[str, str, str], None] = {}
    for node in order:
        if not node.op:
            continue
        mine = box[node]
        target = mine if mine in groups else f"{mine}op"
        sides = _SIDES.get(node.op, ()) if mine not in groups else ()
        for j, x in enumerate(operands(node)):
            if type(x) is not Value or box[x] == mine:
                continue
            used_outside.add(x)
            edges[(box[x], target, sides[j] if sides else "")] = None
    for g in groups.values():
        g.outputs = [node for node in g.members if node in used_outside]
    return Collapsed(order, names, box, groups, edges)


def draw_collapsed(
    c: Collapsed,
    root: Value,
    rankdir: str,
    params: set,
    grads: dict[Value, float] | None,
    current: str | None = None,
    fresh: frozenset[str] | set[str] = frozenset(),
    visited: set[Value] | None = None,
) -> Drawing:
    """The collapsed picture; `grads` are the grads to show (None: none), `current` the box
    being processed and `fresh` the boxes just sent a gradient (in a frame of a pass)."""
    g = Drawing(name="gradstep", format="svg")
    # ranksep: room for the many edges between two layers of neurons
    g.attr(rankdir=rankdir, fontname="Helvetica", bgcolor="white", ranksep="0.9")
    g.attr("node", fontname="Helvetica", fontsize="11")
    g.attr("edge", color="#555555", arrowsize="0.7")
    drawn: set[str] = set()
    for node in c.order:
        key = c.box[node]
        if key in drawn:
            continue
        drawn.add(key)
        group = c.groups.get(key)
        shown = group.output if group is not None else node
        grad = None
        if grads is not None:
            grad = _grad_cell(
                grads.get(shown, 0.0),
                key in fresh,
                visited is not None and shown not in visited,
            )
        if group is not None:
            fill = CURRENT if key == current else OUTPUT if root in group.members else GROUP
            g.node(key, _group_label(group, fill, grad), shape="plain", tooltip=_tip(group, c))
            continue
        fill = node_fill(node, key == current, root, params)
        label = _value_label(c.names[node], node, fill, grad)
        g.node(key, label, shape="plain", tooltip=quoted_text(define(node, c.names)))
        if node.op:
            _op(g, node, key, key == current)
    for (tail, head, side), _ in c.edges.items():
        hot = {"color": EDGE, "penwidth": "2.2"} if head in (current, f"{current}op") else {}
        g.edge(tail, head, **({"xlabel": side, "fontsize": "10"} if side else {}), **hot)
    return g


def collapsed_frames(
    root: Value,
    c: Collapsed,
    gradient: float,
    rankdir: str,
    params: set,
    format: str,  # noqa: A002 - graphviz's own name for it
) -> tuple[list[bytes], list[str], list[Focus]]:
    """One frame per run of steps in one box, its line, and where that box is drawn."""
    with closing(steps_of(root, gradient)) as walk:
        steps = list(walk)
    runs: list[list[Step]] = []
    for step in steps:
        if runs and c.box[runs[-1][0].node] == c.box[step.node]:
            runs[-1].append(step)
        else:
            runs.append([step])
    frames, lines, focus = [], [], []
    grads: dict[Value, float] = {root: gradient}  # this pass's grads so far, as backward sums
    visited: set[Value] = set()
    for run in runs:
        key = c.box[run[0].node]
        fresh = set()
        for step in run:
            visited.add(step.node)
            for contribution in step.contributions:
                parent = contribution.parent
                grads[parent] = grads.get(parent, 0.0) + contribution.amount
                fresh.add(c.box[parent])
        fresh.discard(key)
        drawing = draw_collapsed(c, root, rankdir, params, grads, key, fresh, visited)
        frames.append(drawing.pipe(format=format))
        lines.append(_run_line(c, key, run))
        focus.append(svg_focus(frames[-1], key) if format == "svg" else None)
    return frames, lines, focus


# ---- the parts of a picture ----


def _group_name(group: Grouping, node: Value, names: dict[Value, str]) -> str | None:
    try:
        name = group(node)
    except Exception as error:
        raise TypeError(
            f"group raised {type(error).__name__}: {error} for the Value {_describe(node, names)}"
            "; it must return a group name (a str) or None for every Value"
        ) from error
    if name is None or (isinstance(name, str) and name):
        return name
    raise TypeError(
        f"group must return a group name (a non-empty str) or None, but returned {name!r} "
        f"({type(name).__name__}) for the Value {_describe(node, names)}"
    )


def _describe(node: Value, names: dict[Value, str]) -> str:
    return f"{names[node]} ({node!r})"


def _grad_cell(grad: float, fresh: bool, pending: bool) -> str:
    text = f"grad {number(grad)}"
    if fresh:
        return f'<td {_CELL} bgcolor="{NEW_GRAD}"><b>{text}</b></td>'
    if pending:
        return f'<td {_CELL}><font color="{PENDING}">{text}</font></td>'
    return f"<td {_CELL}>{text}</td>"


def _group_label(group: Group, fill: str, grad: str | None) -> str:
    count = f"{len(group.members)} Values"
    if len(group.outputs) > 1:
        count += f", {len(group.outputs)} outputs"
    title = f"<b>{html_text(group.name)}</b>"
    extra = f'<td><font point-size="10" color="#555555">{count}</font></td>'
    return _box(title, group.output, fill, grad, extra)


def _value_label(name: str, node: Value, fill: str, grad: str | None) -> str:
    return _box(html_text(name), node, fill, grad)


def _box(title: str, node: Value, fill: str, grad: str | None, extra: str = "") -> str:
    """A box of rows: its title, data, grad (if shown) and `extra`; narrow, so LR reads well."""
    rows = [f"<td>{title}</td>", f"<td {_CELL}>data {number(node.data)}</td>", grad, extra]
    return (
        '<<table border="0" cellborder="1" cellspacing="0" cellpadding="3" '
        f'bgcolor="{fill}">{"".join(f"<tr>{row}</tr>" for row in rows if row)}</table>>'
    )


def _op(g: Drawing, node: Value, key: str, current: bool) -> None:
    """The op's circle and constants of a Value drawn on its own (as engine.viz draws it)."""
    op_circle(g, key, node.op, current)
    sides = _SIDES.get(node.op, ())
    for j, x in enumerate(operands(node)):
        if type(x) is not Value:
            const = f"{key}k{j}"
            g.node(const, number(x), shape="plaintext", fontsize="10", fontcolor="#666666")
            side = {"xlabel": sides[j], "fontsize": "10"} if sides else {}
            g.edge(const, f"{key}op", color="#aaaaaa", **side)


def _tip(group: Group, c: Collapsed) -> str:
    output = group.output
    text = f"{group.name}: {len(group.members)} Values; box shows {define(output, c.names)}"
    if len(group.outputs) > 1:
        text += f", the last of {len(group.outputs)} outputs"
    return quoted_text(text)


def _run_line(c: Collapsed, key: str, run: list[Step]) -> str:
    """A frame's text: the step's line, or for a group the lines of its steps that sent."""
    if len(run) == 1:
        return str(run[0])
    group = c.groups[key]
    sending = [str(step) for step in run if step.node.op]
    leaves = [c.names[step.node] for step in run if not step.node.op]
    lines = [f"{group.name}: {len(run)} steps of backward in this box", *sending]
    if leaves:
        lines.append(f"{len(leaves)} leaves, their grads now complete: {', '.join(elide(leaves))}")
    return "\n".join(lines)
