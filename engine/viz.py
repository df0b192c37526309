"""Graphviz pictures: `draw_dot` for a graph, `render_backward` for every step of its backward pass.

Value nodes are boxes (name | data | grad), each op a small circle, constants small grey
numbers; edges go the way data flows. Colours: leaves blue, parameters (`params=`) lavender,
the output peach. In the frames of `render_backward` the node being processed is amber and the
grads it has just written are green; grads still accumulating are grey.

Needs Graphviz's `dot` program to render (Debian/Ubuntu: `apt-get install graphviz`); building
the graph and reading `draw_dot(...).source` work without it.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Iterable
from contextlib import closing
from pathlib import Path

import graphviz

from engine.files import write_atomic
from engine.graph import topological_order
from engine.player import svg_focus, write_player
from engine.steps import Step, steps_of
from engine.text import define, node_names, number
from engine.value import Value, operands, to_float

MAX_NODES = 1000  # Values; past that a graph takes dot long and nobody can read it
LEAF, PARAM, OUTPUT, PLAIN = "#dcecfb", "#e6dcf5", "#fbe3cf", "#ffffff"
CURRENT, NEW_GRAD, PENDING, EDGE = "#ffc94d", "#9be59b", "#9a9a9a", "#c2410c"
FORMATS = ("svg", "png", "jpg", "gif")  # what the player's <img> shows
RANKDIRS = ("LR", "RL", "TB", "BT")
# Cells of a fixed size, so that every frame keeps one layout as the numbers in it change.
_CELL = 'fixedsize="true" width="112" height="24"'
_SIDES = {"-": ("+", "−"), "/": ("num", "den"), "**": ("base", "exp")}
_FILES = r"(step_\d{3,}\.(" + "|".join(FORMATS) + r")|index\.html)"
_OURS = re.compile(rf"^{_FILES}$")
_LEFTOVER = re.compile(rf"^\.{_FILES}\..+\.tmp$")  # a temp file of a write that crashed
# Characters a picture cannot show as they are: controls as their symbols (␀, ␉, ...), code
# points no XML file may hold as U+FFFD. A newline is a line break of its own.
_SHOWABLE = {c: 0x2400 + c for c in range(32) if c != 10} | {0x7F: 0x2421}
_SHOWABLE |= dict.fromkeys([*range(0xD800, 0xE000), 0xFFFE, 0xFFFF], 0xFFFD)

INSTALL = (
    "Graphviz's `dot` program was not found on PATH, and rendering needs it "
    "(draw_dot(...).source works without it). Install it: `sudo apt-get install graphviz` "
    "on Debian/Ubuntu (`./dev test` and `./dev train` install it when it is missing), "
    "`brew install graphviz` on macOS, or see graphviz.org/download."
)


class DotNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's `dot`, which is missing; the message says how to install it."""

    def __init__(self, detail: str = "") -> None:
        RuntimeError.__init__(self, f"{INSTALL} ({detail})" if detail else INSTALL)


class Drawing(graphviz.Digraph):
    """A `graphviz.Digraph` whose rendering, when `dot` is missing, says how to install it."""

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except DotNotFoundError:
            raise
        except graphviz.ExecutableNotFound as error:
            raise DotNotFoundError(str(error)) from error

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except DotNotFoundError:
            raise
        except graphviz.ExecutableNotFound as error:
            raise DotNotFoundError(str(error)) from error


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int | None = MAX_NODES,
    params: Iterable[Value] | None = None,
    group: Callable[[Value], str | None] | None = None,
) -> graphviz.Digraph:
    """The graph that computed `root`, as a `graphviz.Digraph` (shows itself in Jupyter).

    Boxes are Values (name, data, grad), circles the ops, grey numbers the constants; edges go
    from operands to results. `params` (e.g. `model.parameters()`) are coloured apart from
    other leaves. A graph of more than `max_nodes` Values is refused with a ValueError that
    says its size and what to do (draw a part, group it, or raise `max_nodes`; `None` means no
    limit), because past a few hundred boxes the picture can no longer be read and `dot` gets
    slow. `group` (e.g. `nn.viz.by_neuron`) maps a Value to a group name, or None to draw it
    as it is: each group is drawn as one box, and `max_nodes` counts boxes (see engine.groups).
    """
    order = _checked(root, rankdir, show_grad, max_nodes, group)
    grads = {node: node.grad for node in order} if show_grad else None
    if group is not None:
        from engine.groups import draw_collapsed  # here, not at the top: groups imports viz

        c = _collapsed(order, group, max_nodes)
        return draw_collapsed(c, root, rankdir, _params(params), grads)
    return _drawing(order, node_names(order), root, rankdir, _params(params), grads=grads)


def render_backward(
    root: Value,
    directory: str | os.PathLike,
    format: str = "svg",  # noqa: A002 - graphviz's own name for it
    gradient: float = 1.0,
    rankdir: str = "LR",
    max_nodes: int | None = MAX_NODES,
    params: Iterable[Value] | None = None,
    group: Callable[[Value], str | None] | None = None,
) -> list[Path]:
    """Draw every step of `root`'s backward pass into `directory`, plus an `index.html` player.

    One frame per step (`step_000.svg`, ...), in backward's order: the node being processed is
    amber, the grads it just wrote green. `index.html` plays them from the file system (no
    server, no network) with play/pause, previous/next, a slider and the arrow keys, showing
    each step's line above the picture, which fits the window and zooms and pans (wheel or
    +/−, drag, 0 to fit). No `.grad` is touched (the frames show this pass alone; call
    `backward()` to keep gradients). With `group` (as in `draw_dot`) each group is one box,
    and the steps of one box that follow each other are one frame.

    `directory` is created if needed. It must be empty or hold only files of an earlier
    `render_backward` (frames and index.html, which are replaced; older frames beyond the new
    count are removed; the temp files its crashed writes left are removed); anything else there
    makes it refuse with FileExistsError, so nothing of yours is overwritten. Returns the paths
    written, frames first, index.html last.
    """
    order = _checked(root, rankdir, True, max_nodes, group)
    if not isinstance(format, str) or format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {format!r}")
    if not isinstance(directory, (str, os.PathLike)):
        kind = type(directory).__name__
        raise TypeError(f"directory must be a path (str or os.PathLike), not {kind}")
    gradient = to_float(gradient, "gradient")
    directory = Path(directory)
    stale = _previous_output(directory)
    chosen = _params(params)

    if group is not None:
        from engine.groups import collapsed_frames  # here, not at the top: groups imports viz

        c = _collapsed(order, group, max_nodes)
        frames, lines, focus = collapsed_frames(root, c, gradient, rankdir, chosen, format)
    else:
        frames, lines, focus = _frames(order, root, gradient, rankdir, chosen, format)

    directory.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(frames) - 1)))
    names = [f"step_{i:0{width}d}.{format}" for i in range(len(frames))]
    written = []
    for name, content in zip(names, frames, strict=True):
        written.append(write_atomic(directory / name, content))
    for path in stale:
        if path.name not in names and path.name != "index.html":
            path.unlink()
    title = f"backward pass of {define(root, node_names(order))}"
    written.append(write_player(directory, names, lines, title, focus=focus))
    return written


def _frames(order, root, gradient, rankdir, params, format) -> tuple[list, list, list]:
    """One frame per step of the backward pass, its line, and where its node is drawn."""
    frames, lines, focus, visited = [], [], [], set()
    grads = {root: gradient}  # this pass's grads so far
    index = {node: i for i, node in enumerate(order)}
    with closing(steps_of(root, gradient)) as steps:
        for step in steps:
            visited.add(step.node)
            for c in step.contributions:
                grads[c.parent] = grads.get(c.parent, 0.0) + c.amount
            drawing = _drawing(order, step.names, root, rankdir, params, step, visited, grads)
            frames.append(drawing.pipe(format=format))
            lines.append(str(step))
            at = f"n{index[step.node]}"
            focus.append(svg_focus(frames[-1], at) if format == "svg" else None)
    return frames, lines, focus


# ---- building the picture ----


def _drawing(
    order,
    names,
    root,
    rankdir,
    params,
    step: Step | None = None,
    visited: set | None = None,
    grads: dict[Value, float] | None = None,
) -> Drawing:
    """The picture; `grads` are the grads to show (None: no grads), `step` the one to highlight."""
    index = {node: i for i, node in enumerate(order)}
    fresh = {c.parent for c in step.contributions} if step is not None else set()
    g = Drawing(name="gradstep", format="svg")
    g.attr(rankdir=rankdir, fontname="Helvetica", bgcolor="white")
    g.attr("node", fontname="Helvetica", fontsize="11")
    g.attr("edge", color="#555555", arrowsize="0.7")
    for node in order:
        i = index[node]
        current = step is not None and node is step.node
        fill = node_fill(node, current, root, params)
        cells = [
            f"<td>{html_text(names[node])}</td>",
            f"<td {_CELL}>data {number(node.data)}</td>",
        ]
        if grads is not None:
            text = f"grad {number(grads.get(node, 0.0))}"
            if node in fresh:
                cells.append(f'<td {_CELL} bgcolor="{NEW_GRAD}"><b>{text}</b></td>')
            elif step is not None and node not in visited:
                cells.append(f'<td {_CELL}><font color="{PENDING}">{text}</font></td>')
            else:
                cells.append(f"<td {_CELL}>{text}</td>")
        label = (
            '<<table border="0" cellborder="1" cellspacing="0" cellpadding="4" '
            f'bgcolor="{fill}"><tr>{"".join(cells)}</tr></table>>'
        )
        g.node(f"n{i}", label, shape="plain", tooltip=quoted_text(define(node, names)))
        if not node.op:
            continue
        op = f"n{i}op"
        hot = op_circle(g, f"n{i}", node.op, current)
        sides = _SIDES.get(node.op, ())
        for j, x in enumerate(operands(node)):
            side = {"label": sides[j], "fontsize": "8"} if sides else {}
            if type(x) is Value:
                g.edge(f"n{index[x]}", op, **side, **hot)
            else:
                const = f"n{i}k{j}"
                g.node(const, number(x), shape="plaintext", fontsize="9", fontcolor="#666666")
                g.edge(const, op, color="#aaaaaa", **side)
    return g


def op_circle(g: graphviz.Digraph, key: str, op: str, current: bool) -> dict[str, str]:
    """Draw the op's circle `<key>op` and its edge into the Value's box `key`; returns the edge
    attributes that mark the current step (amber, thick), to draw its other edges alike."""
    hot = {"color": EDGE, "penwidth": "2.2"} if current else {}
    g.node(
        f"{key}op",
        op,
        shape="circle",
        width="0.3",
        margin="0.02",
        fontsize="10",
        style="filled",
        fillcolor=CURRENT if current else "#f2f2f2",
    )
    g.edge(f"{key}op", key, **hot)
    return hot


def node_fill(node: Value, current: bool, root: Value, params: set) -> str:
    """A box's colour: the step's node amber, the output peach, parameters lavender, leaves
    blue, the rest white."""
    if current:
        return CURRENT
    if node is root:
        return OUTPUT
    if node in params:
        return PARAM
    return LEAF if not node.op else PLAIN


def _checked(root, rankdir, show_grad, max_nodes, group=None) -> list[Value]:
    if type(root) is not Value:
        raise TypeError(f"root must be a Value, not {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, not {rankdir!r}")
    if not isinstance(show_grad, bool):
        raise TypeError(f"show_grad must be True or False, not {show_grad!r}")
    if max_nodes is not None and (type(max_nodes) is not int or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive int or None, not {max_nodes!r}")
    order = topological_order(root)
    if group is None and max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"this graph has {len(order)} Values, more than max_nodes={max_nodes}: too many boxes "
            "to read, and slow to lay out. Draw a smaller part (one neuron's output, or the loss "
            "of a single example), or pass group=nn.viz.by_neuron to draw one box per neuron, "
            f"or pass max_nodes={len(order)} (or None) to draw it anyway."
        )
    return order


def _collapsed(order, group, max_nodes):
    """The graph with its groups collapsed (engine.groups), refused past `max_nodes` boxes."""
    from engine.groups import check_grouping, collapse

    check_grouping(group)
    c = collapse(order, group)
    if max_nodes is not None and c.boxes > max_nodes:
        raise ValueError(
            f"grouped, this graph still has {c.boxes} boxes ({len(order)} Values), more than "
            f"max_nodes={max_nodes}: group more of it (e.g. nn.viz.by_layer), draw a smaller "
            f"part, or pass max_nodes={c.boxes} (or None) to draw it anyway."
        )
    return c


def _params(params) -> set:
    if params is None:
        return set()
    if isinstance(params, (str, bytes, Value)) or not hasattr(params, "__iter__"):
        raise TypeError(f"params must be an iterable of Values, not {type(params).__name__}")
    chosen = set()
    for i, p in enumerate(params):
        if type(p) is not Value:
            raise TypeError(f"params[{i}] must be a Value, not {type(p).__name__}")
        chosen.add(p)
    return chosen


def html_text(text: str) -> str:
    """`text` as the content of a cell of an HTML-like label: shown as its characters."""
    text = html.escape(text.translate(_SHOWABLE))
    # dot expands \N, \G and \\ even here, after decoding entities: a backslash must be doubled.
    return text.replace("\\", "\\\\").replace("\n", "<br/>")


def quoted_text(text: str) -> str:
    """`text` as a quoted attribute (a tooltip): shown as its characters, never ending the quote.

    Quotes and XML's characters go as character references. A tooltip is unescaped twice
    (`\\N` is still the node's name), so a backslash is written as four: an even number,
    which can never escape the closing quote.
    """
    text = html.escape(text.translate(_SHOWABLE)).replace("\\", "\\" * 4)
    return graphviz.nohtml(text.replace("\n", "&#10;"))


# ---- files ----


def _previous_output(directory: Path) -> list[Path]:
    """Files of an earlier render_backward in `directory`; refuses if anything else is there."""
    if not directory.exists():
        return []
    if not directory.is_dir():
        raise NotADirectoryError(f"{directory} exists and is not a directory")
    ours, leftovers, foreign = [], [], []
    for path in sorted(directory.iterdir()):
        if path.is_file() and _OURS.match(path.name):
            ours.append(path)
        elif path.is_file() and _LEFTOVER.match(path.name):
            leftovers.append(path)
        else:
            foreign.append(path.name)
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise FileExistsError(
            f"{directory} holds files render_backward did not write ({shown}); give it an empty "
            "or new directory (it replaces only its own step_*.svg frames and index.html)"
        )
    for path in leftovers:  # the temp file of a write of ours that crashed: never a whole file
        path.unlink(missing_ok=True)
    return ours
