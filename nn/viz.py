"""Pictures of networks: groupings for `engine.viz.draw_dot` and `draw_network`.

`by_neuron` and `by_layer` read nn's labels (`L1.N3.w0` is weight 0 of neuron 3 of layer 1),
so `draw_dot(loss, group=by_neuron)` draws one box per neuron instead of one per Value.

>>> from nn import MLP, losses
>>> from nn.viz import by_neuron
>>> from engine.viz import draw_dot
>>> model = MLP(2, [16, 16, 1], seed=0)
>>> loss = losses.hinge([model([0.5, -1.0])], [1.0])
>>> picture = draw_dot(loss, group=by_neuron)   # 33 neuron boxes and the loss's 5 Values
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

import graphviz

from engine import Value, no_grad
from engine.graph import operands
from engine.text import number
from engine.viz import Drawing
from nn.checks import check_number, is_sequence
from nn.module import Module

# A neuron's own labels: its output 'L1.N3', its weights 'L1.N3.w0', ... and its bias 'L1.N3.b'.
_NEURON = re.compile(r"^((L\d+)\.N\d+)(?:\.(?:w\d+|b))?$")


def by_neuron(value: Value) -> str | None:
    """'L1.N3' for neuron 3 of layer 1's weights, bias, weighted sum and activation; else None.

    A neuron's weighted sum is unlabelled when an activation follows it: it is known by its
    first operand, the neuron's weight w0.
    """
    found = _neuron(value)
    return found.group(1) if found else None


def by_layer(value: Value) -> str | None:
    """'L1' for every Value of layer 1's neurons (as `by_neuron`); else None."""
    found = _neuron(value)
    return found.group(2) if found else None


def _neuron(value: Value) -> re.Match | None:
    found = _NEURON.match(value.label)
    if found or value.label or value.op != "dot":
        return found
    first = operands(value)[:1]  # a dot of nothing has no operands
    if first and type(first[0]) is Value and first[0].label.endswith(".w0"):
        return _NEURON.match(first[0].label)
    return None


# ---- the network as people draw it ----

POSITIVE, NEGATIVE = "#0877bd", "#e8700f"  # TensorFlow Playground's blue and orange
MAX_INPUTS = 16  # more inputs than this are drawn as one grid ("image") node
# The player's legend for pictures of draw_network (see engine.player).
NETWORK_LEGEND = (
    (POSITIVE, "weight > 0 (edge), output > 0 (neuron)"),
    (NEGATIVE, "weight < 0, output < 0"),
    ("#ffffff", "output 0 (a relu that is off)"),
)
_COLUMN = 3.2  # inches between the centres of two columns
_ROW = 0.82  # inches between the centres of two neurons of a column
_FONT = "11"  # points; the titles are 12, nothing is smaller
_WIDTH = 150  # points: every neuron's box is at least this wide, so columns line up


def draw_network(
    model: Module, x: Sequence[float] | None = None, note: str = ""
) -> graphviz.Digraph:
    """An MLP as people draw it: inputs on the left, a node per neuron, an edge per weight.

    Edges are blue for w > 0 and orange for w < 0 (TensorFlow Playground's colours), as wide
    as |w| (relative to the largest weight of that layer). With `x`, each node shows its output
    for that input (computed under no_grad) and is tinted by it. A parameter whose `.grad` is
    not 0 shows it: a neuron lists its bias's grad and its largest weight grad; every edge's
    tooltip has its weight and grad, and after a backward pass the weights with no gradient
    are drawn faint, so the picture shows where the gradient went. More than 16 inputs (the
    64 pixels of digits) are one grid node, and the picture says so.

    `model` is an `nn.MLP` (or any Module whose `layers` hold `neurons` with `w` and `b`), or
    one `Layer`. `note` is a line of your own under the title. Returns a `graphviz.Digraph`
    (it shows itself in Jupyter; laid out by Graphviz's `neato`, every node pinned).
    """
    layers = _layers(model)
    if not isinstance(note, str):
        raise TypeError(f"note must be a str, not {type(note).__name__}")
    nin = len(layers[0][0].w)
    xs = _inputs(x, nin)
    outs = _outputs(layers, xs) if xs is not None else None
    grads_on = any(p.grad != 0.0 for layer in layers for n in layer for p in (*n.w, n.b))
    g = Drawing(name="network", engine="neato", format="svg")
    g.attr(splines="false", outputorder="edgesfirst", bgcolor="white", pad="0.3")
    g.attr(fontname="Helvetica", fontsize="12", labelloc="t", labeljust="l")
    g.attr("node", fontname="Helvetica", fontsize=_FONT, shape="plain", pin="true")
    g.attr("edge", arrowhead="none")
    sizes = [nin, *(len(layer) for layer in layers)]
    grid = nin > MAX_INPUTS
    inputs = ["x"] if grid else [f"x{i}" for i in range(nin)]
    _input_nodes(g, inputs, xs, nin)
    columns = [inputs]
    for i, layer in enumerate(layers, start=1):
        ids = [f"l{i}n{j}" for j in range(len(layer))]
        columns.append(ids)
        acts = outs[i - 1] if outs is not None else None
        scale = max((abs(a) for a in acts), default=0.0) if acts else 0.0
        for j, (key, neuron) in enumerate(zip(ids, layer)):
            name = getattr(neuron, "name", "") or f"L{i}.N{j}"
            value = acts[j] if acts is not None else None
            label = _neuron_label(neuron, name, value, scale)
            g.node(key, label, tooltip=_neuron_tip(neuron, name))
        before = xs if i == 1 else outs[i - 2] if outs else None
        _edges(g, columns[-2], ids, layer, before, grads_on)
    _place(g, columns, layers, grid)
    g.attr(label=_caption(sizes, xs, grid, grads_on, note))
    return g


def _layers(model) -> list[list]:
    """The model's neurons, layer by layer, checked to fit together."""
    layers = getattr(model, "layers", None)
    if layers is None and hasattr(model, "neurons"):
        layers = [model]  # one Layer
    what = (
        "draw_network draws an nn MLP (a Module whose .layers hold neurons with .w and .b, "
        f"or one Layer), not {type(model).__name__}"
    )
    if isinstance(layers, (str, bytes)) or not is_sequence(layers) or not layers:
        raise TypeError(what)
    result, size = [], None
    for i, layer in enumerate(layers, start=1):
        neurons = getattr(layer, "neurons", None)
        if not is_sequence(neurons) or not neurons or not all(map(_is_neuron, neurons)):
            raise TypeError(f"{what}: layer {i} has no neurons with .w and .b")
        widths = {len(n.w) for n in neurons}
        if len(widths) != 1 or (size is not None and widths != {size}):
            raise ValueError(
                f"layer {i}'s neurons take {sorted(widths)} inputs, but the layer before "
                f"gives {size}: draw_network needs a chain of fully connected layers"
            )
        result.append(list(neurons))
        size = len(neurons)
    return result


def _is_neuron(n) -> bool:
    w = getattr(n, "w", None)
    return (
        callable(n)
        and type(getattr(n, "b", None)) is Value
        and is_sequence(w)
        and len(w) > 0
        and all(type(v) is Value for v in w)
    )


def _inputs(x, nin: int) -> list[float] | None:
    if x is None:
        return None
    if not is_sequence(x):
        raise TypeError(f"x must be a list of {nin} numbers (one input), not {type(x).__name__}")
    if len(x) != nin:
        raise ValueError(f"x must have {nin} numbers, one per input of the model; got {len(x)}")
    return [check_number("x", v) for v in x]


def _outputs(layers: list[list], xs: list[float]) -> list[list[float]]:
    """Every neuron's output for the input `xs`, layer by layer (no graph is recorded)."""
    outs, inputs = [], xs
    with no_grad():
        for layer in layers:
            inputs = [float(neuron(inputs).data) for neuron in layer]
            outs.append(inputs)
    return outs


def _tint(value: float, scale: float) -> str:
    """White for 0, up to a light blue (> 0) or orange (< 0) as |value| reaches `scale`."""
    if not value or not scale or not math.isfinite(value):
        return "#ffffff"
    colour = POSITIVE if value > 0 else NEGATIVE
    t = 0.45 * min(1.0, abs(value) / scale)
    rgb = [int(colour[k : k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(255 + (c - 255) * t):02x}" for c in rgb)


def _input_nodes(g: Drawing, inputs: list[str], xs: list[float] | None, nin: int) -> None:
    if inputs == ["x"]:
        g.node("x", _grid_label(nin, xs), tooltip=f"the {nin} inputs x0 ... x{nin - 1}")
        return
    scale = max((abs(v) for v in xs), default=0.0) if xs else 0.0
    for i, key in enumerate(inputs):
        value = xs[i] if xs else None
        rows = [f"<b>{key}</b>" + (f"  {number(value)}" if value is not None else "")]
        fill = _tint(value, scale) if value is not None else "#ffffff"
        g.node(key, _table(rows, fill), tooltip=f"input {key}")


def _grid_shape(n: int) -> tuple[int, int]:
    cols = math.isqrt(n)
    if cols * cols < n:
        cols += 1
    return -(-n // cols), cols


def _grid_label(n: int, xs: list[float] | None) -> str:
    rows, cols = _grid_shape(n)
    low, high = (min(xs), max(xs)) if xs else (0.0, 0.0)
    cells = []
    for r in range(rows):
        row = []
        for c in range(cols):
            k = r * cols + c
            shade = "#eeeeee"
            if xs and k < n and high > low:
                level = round(255 - 215 * (xs[k] - low) / (high - low))  # low: white, high: dark
                shade = f"#{level:02x}{level:02x}{level:02x}"
            row.append(f'<td width="12" height="12" fixedsize="true" bgcolor="{shade}"></td>')
        cells.append(f"<tr>{''.join(row)}</tr>")
    head = f'<tr><td colspan="{cols}"><b>x</b>: {n} inputs</td></tr>'
    return (
        '<<table border="1" cellborder="0" cellspacing="0" cellpadding="0" color="#666666" '
        f'bgcolor="#ffffff">{head}{"".join(cells)}</table>>'
    )


def _neuron_label(neuron, name: str, value: float | None, scale: float) -> str:
    """Name (and output for x), bias (and its grad), and the largest weight grad if any."""
    rows = [f"<b>{_text(name)}</b>" + (f"  out {number(value)}" if value is not None else "")]
    bias = f"b {number(neuron.b.data)}"
    if neuron.b.grad != 0.0:
        bias += f" · grad {number(neuron.b.grad)}"
    rows.append(bias)
    k = max(range(len(neuron.w)), key=lambda i: abs(neuron.w[i].grad))
    if neuron.w[k].grad != 0.0:
        rows.append(f"w{k} grad {number(neuron.w[k].grad)} (largest)")
    return _table(rows, _tint(value, scale) if value is not None else "#ffffff", _WIDTH)


def _text(text: str) -> str:
    """`text` in an HTML-like label, shown as its characters (dot expands a single \\)."""
    return html.escape(text).replace("\\", "\\\\")


def _width(value: float, largest: float) -> str:
    """An edge's penwidth: 0.4 to 4 points as |value| goes from 0 to `largest`."""
    share = abs(value) / largest if math.isfinite(value) else 1.0
    return f"{0.4 + 3.6 * min(share, 1.0):.2f}"


def _largest(values) -> float:
    return max((abs(v) for v in values if math.isfinite(v)), default=0.0) or 1.0


def _table(rows: list[str], fill: str, width: int = 0) -> str:
    size = f' width="{width}"' if width else ""
    cells = "".join(f'<tr><td align="left"{size}>{row}</td></tr>' for row in rows)
    return (
        '<<table border="1" style="rounded" cellborder="0" cellspacing="0" cellpadding="2" '
        f'color="#666666" bgcolor="{fill}">{cells}</table>>'
    )


def _tip(lines: list[str]) -> str:
    """Lines as a tooltip: every character as it is, one line each."""
    return graphviz.nohtml(
        "&#10;".join(html.escape(line) for line in lines).replace("\\", "\\" * 4)
    )


def _neuron_tip(neuron, name: str) -> str:
    params = [*neuron.w, neuron.b]
    return _tip(
        [f"{name}: {getattr(neuron, 'activation', '')}(w · x + b)".replace("linear(", "(")]
        + [f"{p.label or 'parameter'} = {number(p.data)}, grad {number(p.grad)}" for p in params]
    )


def _edges(g, sources, targets, layer, inputs, grads_on: bool) -> None:
    """One edge per weight, or for a grid of inputs one per neuron standing for all of them."""
    if sources == ["x"]:
        _grid_edges(g, targets, layer, inputs, grads_on)
        return
    largest = _largest(w.data for n in layer for w in n.w)
    for key, neuron in zip(targets, layer):
        for source, w in zip(sources, neuron.w):
            faint = grads_on and w.grad == 0.0
            g.edge(
                source,
                key,
                color=_colour(w.data, faint),
                penwidth=_width(w.data, largest),
                tooltip=_tip([f"{w.label or 'w'} = {number(w.data)}, grad {number(w.grad)}"]),
            )


def _grid_edges(g, targets, layer, inputs, grads_on: bool) -> None:
    means = [math.fsum(abs(w.data) for w in n.w) / len(n.w) for n in layer]
    largest = _largest(means)
    for key, neuron, mean in zip(targets, layer, means):
        ws = [w.data for w in neuron.w]
        signal = math.fsum(w * x for w, x in zip(ws, inputs)) if inputs else math.fsum(ws)
        k = max(range(len(ws)), key=lambda i: abs(neuron.w[i].grad))
        faint = grads_on and all(w.grad == 0.0 for w in neuron.w)
        lines = [
            f"{len(ws)} weights, mean |w| {number(mean)}",
            f"{'w · x' if inputs else 'sum of w'} = {number(signal)}",
            f"largest grad: {neuron.w[k].label or f'w{k}'} {number(neuron.w[k].grad)}",
        ]
        g.edge(
            "x",
            key,
            color=_colour(signal, faint),
            penwidth=_width(mean, largest),
            tooltip=_tip(lines),
        )


def _colour(value: float, faint: bool) -> str:
    colour = POSITIVE if value > 0 else NEGATIVE if value < 0 else "#999999"
    return colour + ("40" if faint else "d0")


def _place(g, columns: list[list[str]], layers: list[list], grid: bool) -> None:
    """Pin every node: a column per layer, neurons top to bottom, a title above each column."""
    tallest = max(len(ids) for ids in columns[1:] + ([] if grid else columns[:1]))
    head = (tallest - 1) / 2 * _ROW + 0.75
    for c, ids in enumerate(columns):
        top = (len(ids) - 1) / 2 * _ROW
        for r, key in enumerate(ids):
            g.node(key, pos=f"{c * _COLUMN:.3f},{top - r * _ROW:.3f}!")
        if c == 0:
            what = "input"
        else:
            layer = layers[c - 1]
            act = getattr(layer[0], "activation", "")
            what = f"layer {c}: {len(layer)} {act}".rstrip()
            if c == len(layers):
                what += " (output)"
        g.node(f"head{c}", f"<<b>{html.escape(what)}</b>>", fontsize="12")
        g.node(f"head{c}", pos=f"{c * _COLUMN:.3f},{head:.3f}!")


def _caption(sizes: list[int], xs, grid: bool, grads_on: bool, note: str) -> str:
    title = f"MLP {'-'.join(map(str, sizes))}"
    if xs:
        title += " for one input" if grid else f" for x = [{', '.join(map(number, xs))}]"
    lines = [title, *note.splitlines()]
    lines.append("edges: blue w > 0, orange w < 0, wider for larger |w| (within a layer)")
    if xs:
        lines.append("neurons: out = the neuron's output for x, tinted blue > 0, orange < 0")
    if grads_on:
        lines.append("grads from the last backward pass; faint edges: weights whose grad is 0")
    lines.append("hover over a neuron or an edge for every weight and its grad")
    if grid:
        rows, cols = _grid_shape(sizes[0])
        signal = "the sign of w · x" if xs else "the sign of the weights' sum"
        lines.append(
            f"the {sizes[0]} inputs are drawn as one {rows}×{cols} grid (x0 top left, row by row)"
        )
        lines.append(
            f"an edge from the grid stands for a neuron's {sizes[0]} weights: "
            f"as wide as their mean |w|, coloured by {signal}"
        )
    return "".join(html.escape(line) + "\\l" for line in lines)
