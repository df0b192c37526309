"""draw_dot(group=...): a group of Values is one box, on real Graphviz SVG; nn.viz's groupings."""

import re

import pytest
from browser import run_probe
from svg import edge_count, fills, font_sizes, svg_edges, svg_nodes, texts, tooltips

import engine
from engine import Value, topological_order
from engine.text import number
from engine.viz import CURRENT, NEW_GRAD, OUTPUT, draw_dot, render_backward
from nn import MLP, losses
from nn.viz import by_layer, by_neuron


def sample_loss(sizes=(3, 1), seed=1, x=(0.5, -1.0), label=-1.0):
    model = MLP(2, list(sizes), init="micrograd", seed=seed)
    loss = losses.hinge([model(list(x))], [label])
    loss.label = "loss"
    return model, loss


def boxes(svg) -> dict[str, list[str]]:
    """The texts of every box (a group or a Value, not an op or a constant), by its name."""
    nodes = svg_nodes(svg).items()
    return {texts(g)[0]: texts(g) for t, g in nodes if re.fullmatch(r"[gn]\d+", t)}


def test_by_neuron_and_by_layer_read_nns_labels():
    model, loss = sample_loss()
    order = topological_order(loss)
    neuron = {v: by_neuron(v) for v in order}
    layer = {v: by_layer(v) for v in order}
    n0 = model.layers[0].neurons[0]
    for p in n0.parameters():
        assert neuron[p] == "L1.N0" and layer[p] == "L1"
    relu = next(v for v in order if v.label == "L1.N0")
    assert relu.op == "relu" and neuron[relu] == "L1.N0"
    (dot,) = relu.parents  # unlabelled: known by its first weight
    assert dot.label == "" and dot.op == "dot" and neuron[dot] == "L1.N0"
    assert neuron[loss] is None and layer[loss] is None
    assert sorted({g for g in neuron.values() if g}) == ["L1.N0", "L1.N1", "L1.N2", "L2.N0"]
    assert by_neuron(Value(1.0, label="w0")) is None  # not a neuron's label
    assert by_neuron(engine.dot([Value(1.0, label="x.w0")], [2.0])) is None


def test_each_neuron_is_one_box_with_its_outputs_data_grad_and_size():
    model, loss = sample_loss()
    loss.backward()
    svg = draw_dot(loss, group=by_neuron).pipe(format="svg")
    shown = boxes(svg)
    labelled = {v.label: v for v in topological_order(loss) if v.label}
    for j in range(3):
        out = labelled[f"L1.N{j}"]
        # w0, w1, b, the weighted sum and the relu
        assert out.op == "relu" and shown[f"L1.N{j}"] == [
            f"L1.N{j}",
            f"data {number(out.data)}",
            f"grad {number(out.grad)}",
            "5 Values",
        ]
    # the output neuron is linear: its weighted sum (w0, w1, w2, b and the dot) is its output
    out = labelled["L2.N0"]
    assert out.op == "dot" and out.grad != 0.0
    assert shown["L2.N0"][1:] == [
        f"data {number(out.data)}",
        f"grad {number(out.grad)}",
        "5 Values",
    ]
    # the loss's own Values are drawn as they are, ops and all
    assert shown["loss"][:2] == ["loss", f"data {number(loss.data)}"]
    assert len(shown) == 4 + 5
    assert all(size >= 10 for size in font_sizes(svg))


def test_edges_between_groups_are_kept_once_and_edges_inside_dropped():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    e = a * b
    out = e * e + e  # e is used three times outside its group
    out.label = "out"
    in_group = {a, b, e}
    svg = draw_dot(out, group=lambda v: "G" if v in in_group else None).pipe(format="svg")
    nodes = svg_nodes(svg)
    assert texts(nodes["g0"]) == ["G", "data -6", "grad 0", "3 Values"]
    order = topological_order(out)
    times = f"n{order.index(out.parents[0])}op"
    plus = f"n{order.index(out)}op"
    # one edge G -> (e * e) although e is both of its operands, one G -> (+)
    assert sorted(svg_edges(svg)) == sorted(
        [f"g0->{times}", f"g0->{plus}", f"{times}->n{order.index(out.parents[0])}"]
        + [f"n{order.index(out.parents[0])}->{plus}", f"{plus}->n{order.index(out)}"]
    )
    assert edge_count(svg) == 5


def test_a_group_with_several_outputs_shows_the_last_and_says_how_many():
    model, loss = sample_loss()
    loss.backward()
    svg = draw_dot(loss, group=by_layer).pipe(format="svg")
    order = topological_order(loss)
    last = [v for v in order if v.label in ("L1.N0", "L1.N1", "L1.N2")][-1]
    shown = boxes(svg)
    assert shown["L1"] == [
        "L1",
        f"data {number(last.data)}",
        f"grad {number(last.grad)}",
        "15 Values, 3 outputs",
    ]
    g = next(g for g in svg_nodes(svg).values() if texts(g)[0] == "L1")
    dot = f"v{order.index(last) - 1}"
    assert tooltips(g) == [f"L1: 15 Values; box shows L1.N2 = relu({dot}), the last of 3 outputs"]


def test_the_root_inside_a_group_makes_it_the_output_box():
    model, loss = sample_loss()
    nodes = svg_nodes(draw_dot(loss, group=lambda v: "everything").pipe(format="svg"))
    assert list(nodes) == ["g0"]
    n = len(topological_order(loss))
    assert texts(nodes["g0"]) == [
        "everything",
        f"data {number(loss.data)}",
        "grad 0",
        f"{n} Values",
    ]
    assert OUTPUT in fills(nodes["g0"])


def test_a_group_that_raises_or_returns_a_non_string_names_the_value():
    x = Value(1.5, label="x")
    y = x * 2
    with pytest.raises(TypeError, match=r"group raised KeyError: 'x' for the Value x \(Value"):
        draw_dot(y, group=lambda v: {}[v.label])
    with pytest.raises(TypeError, match=r"returned 3 \(int\) for the Value v1 \(Value\(data=3.0"):
        draw_dot(y, group=lambda v: 3 if v.op else None)
    with pytest.raises(TypeError, match=r"returned '' \(str\) for the Value x"):
        draw_dot(y, group=lambda v: "")
    with pytest.raises(TypeError, match="group must be a function"):
        draw_dot(y, group="by_neuron")
    with pytest.raises(TypeError, match="returned 3"):
        render_backward(y, "unused", group=lambda v: 3)


def test_max_nodes_points_to_group_and_counts_boxes_when_grouped():
    x = Value(1.0)
    for _ in range(400):
        x = x + 1.0
    with pytest.raises(
        ValueError, match=r"401 Values.*group=nn\.viz\.by_neuron.*one box per neuron"
    ):
        draw_dot(x, max_nodes=300)
    # grouped, 401 Values in two boxes are drawn
    svg = draw_dot(x, max_nodes=300, group=lambda v: "odd" if v.data % 2 else "even")
    assert len(svg_nodes(svg.pipe(format="svg"))) == 2
    with pytest.raises(ValueError, match=r"still has 401 boxes.*max_nodes=401"):
        draw_dot(x, max_nodes=300, group=lambda v: None)


def test_one_sample_loss_of_the_default_network_is_readable_grouped():
    model = MLP(2, [16, 16, 1], init="micrograd", seed=1337)
    loss = losses.hinge([model([0.5, -1.0])], [1.0])
    loss.backward()
    assert len(topological_order(loss)) > 400
    svg = draw_dot(loss, group=by_neuron).pipe(format="svg")
    shown = boxes(svg)
    assert {f"L{i}.N{j}" for i in (1, 2) for j in range(16)} | {"L3.N0"} <= set(shown)
    assert len(shown) == 33 + 5  # the neurons and the hinge loss's five Values
    width, height = (
        float(v) for v in re.search(rb'width="(\d+)pt" height="(\d+)pt"', svg).groups()
    )
    assert max(width, height) < 2000  # pt; ungrouped it is 4 times as tall
    assert min(font_sizes(svg)) >= 10


def test_grouped_frames_are_one_per_run_of_a_box_and_highlight_it(tmp_path):
    model, loss = sample_loss()
    paths = render_backward(loss, tmp_path, group=by_neuron)
    frames = [p for p in paths if p.suffix == ".svg"]
    assert 1 < len(frames) < len(topological_order(loss))  # fewer frames than steps
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert page.count("step_0") == len(frames)
    seen = []
    for frame in frames:
        nodes = svg_nodes(frame.read_bytes())
        amber = [
            texts(g)[0] for t, g in nodes.items() if CURRENT in fills(g) and not t.endswith("op")
        ]
        assert len(amber) == 1
        seen.append(amber[0])
        green = [texts(g)[0] for g in nodes.values() if NEW_GRAD in fills(g)]
        assert amber[0] not in green
    # backward's order: the loss first, the output neuron, then layer 1's neurons
    assert seen[0] == "loss" and seen.index("L2.N0") < seen.index("L1.N0")
    assert sorted(set(seen) & {"L1.N0", "L1.N1", "L1.N2", "L2.N0"}) == [
        "L1.N0",
        "L1.N1",
        "L1.N2",
        "L2.N0",
    ]
    # the last frame shows every box's output grad as backward() makes it
    loss.backward()
    last = boxes(frames[-1].read_bytes())
    for j in range(3):
        out = next(v for v in topological_order(loss) if v.label == f"L1.N{j}")
        assert last[f"L1.N{j}"][2] == f"grad {number(out.grad)}"


def test_a_dot_of_nothing_is_in_no_neuron():
    assert by_neuron(engine.dot([], [])) is None


FOLLOW_PROBE = """<script>
(function () {
  const img = document.getElementById("frame");
  const view = document.getElementById("view");
  const key = (k) => document.dispatchEvent(new KeyboardEvent("keydown", {key: k}));
  const where = function () {  // the current frame's focus point, in the view's pixels
    const m = /translate\\(([-\\d.e]+)px, ([-\\d.e]+)px\\) scale\\(([-\\d.e]+)\\)/
      .exec(img.style.transform);
    const f = DATA.focus[Number(document.getElementById("slider").value)];
    const s = Number(m[3]);
    return [Number(m[1]) + f[0] * img.naturalWidth * s, Number(m[2]) + f[1] * img.naturalHeight * s,
            s, view.clientWidth, view.clientHeight, img.naturalWidth, img.naturalHeight];
  };
  const out = [];
  setTimeout(function () {
    out.push(where());
    for (let i = 0; i < 12; i++) { key("ArrowRight"); }
    setTimeout(function () {
      out.push(where());
      document.body.setAttribute("data-probe", JSON.stringify(out));
    }, 800);
  }, 1500);
})();
</script>
</body>"""


def test_a_frame_too_big_to_fit_legibly_is_shown_around_the_box_being_processed(tmp_path):
    model = MLP(2, [16, 16, 1], init="micrograd", seed=1337)
    loss = losses.hinge([model([0.5, -1.0])], [1.0])
    render_backward(loss, tmp_path / "player", group=by_neuron)
    first, later = run_probe(tmp_path / "player" / "index.html", FOLLOW_PROBE, tmp_path)
    for x, y, scale, vw, vh, w, h in (first, later):
        assert w * scale > vw or h * scale > vh  # too big for the window at a legible scale
        assert scale == pytest.approx(0.7)  # 10 pt text stays 9 px
        assert 0 <= x <= vw and 0 <= y <= vh  # the amber box is in view
