"""nn.viz.draw_network: an MLP as people draw it, read back from the SVG real Graphviz writes."""

import graphviz
import pytest
from svg import caption, font_sizes, size_px, svg_edges, svg_nodes, texts, tooltips

from engine import Value, is_grad_enabled
from engine.text import number
from nn import MLP, Layer, losses
from nn.data import load_digits
from nn.viz import NEGATIVE, POSITIVE, draw_network

SVG = "{http://www.w3.org/2000/svg}"


def stroke(edge) -> tuple[str, float, float]:
    """An edge's colour, width and opacity."""
    path = next(edge.iter(SVG + "path"))
    width, opacity = path.get("stroke-width", "1"), path.get("stroke-opacity", "1")
    return path.get("stroke"), float(width), float(opacity)


def words(node) -> str:
    return " ".join(" ".join(texts(node)).split())


def test_the_default_network_is_a_node_per_neuron_and_an_edge_per_weight():
    model = MLP(2, [16, 16, 1], init="micrograd", seed=1337)
    g = draw_network(model)
    assert isinstance(g, graphviz.Digraph)
    svg = g.pipe(format="svg")
    nodes, edges = svg_nodes(svg), svg_edges(svg)
    neurons = [f"l{i}n{j}" for i, n in ((1, 16), (2, 16), (3, 1)) for j in range(n)]
    assert {"x0", "x1", *neurons} <= set(nodes)
    assert len(edges) == 2 * 16 + 16 * 16 + 16
    for i, layer in enumerate(model.layers, start=1):
        before = ["x0", "x1"] if i == 1 else [f"l{i - 1}n{k}" for k in range(16)]
        largest = max(abs(w.data) for n in layer.neurons for w in n.w)
        for j, neuron in enumerate(layer.neurons):
            assert words(nodes[f"l{i}n{j}"]) == f"L{i}.N{j} b {number(neuron.b.data)}"
            for source, w in zip(before, neuron.w, strict=True):
                colour, width, _ = stroke(edges[f"{source}->l{i}n{j}"])
                assert colour == (POSITIVE if w.data > 0 else NEGATIVE)  # blue +, orange -
                assert width == pytest.approx(0.4 + 3.6 * abs(w.data) / largest, abs=0.01)
    assert "layer 2: 16 relu" in words(nodes["head2"])


def test_the_default_network_fits_a_screen_with_no_text_under_10pt():
    model = MLP(2, [16, 16, 1], init="micrograd", seed=1337)
    x = [0.5, -1.0]
    losses.hinge([model(x)], [1.0]).backward()  # the fullest picture: activations and grads
    svg = draw_network(model, x).pipe(format="svg")
    width, height = size_px(svg)
    assert max(width, height) <= 2000
    assert min(font_sizes(svg)) >= 10


def test_with_x_each_neuron_shows_its_output_for_that_input():
    model = MLP(2, [3, 2], seed=0)
    x = [0.5, -1.0]
    hidden = [n(x).data for n in model.layers[0].neurons]
    outputs = [v.data for v in model(x)]
    svg = draw_network(model, x).pipe(format="svg")
    nodes = svg_nodes(svg)
    for j, a in enumerate(hidden):
        assert f"L1.N{j} out {number(a)}" in words(nodes[f"l1n{j}"])
    for j, a in enumerate(outputs):
        assert f"L2.N{j} out {number(a)}" in words(nodes[f"l2n{j}"])
    assert words(nodes["x1"]) == "x1 -1"
    assert is_grad_enabled()
    assert all(p.grad == 0.0 for p in model.parameters())  # nothing was backwarded


def test_after_backward_the_picture_shows_where_the_gradient_went():
    model = MLP(2, [3, 1], init="micrograd", seed=1)
    x = [0.5, -1.0]
    before = draw_network(model, x).pipe(format="svg")
    assert "grad" not in " ".join(words(g) for g in svg_nodes(before).values())
    loss = losses.hinge([model(x)], [-1.0])
    loss.backward()
    svg = draw_network(model, x).pipe(format="svg")
    nodes, edges = svg_nodes(svg), svg_edges(svg)
    dead = [n for n in model.layers[0].neurons if n(x).data == 0.0]
    assert dead  # a relu that is off: no gradient reaches its weights
    for j, neuron in enumerate(model.layers[0].neurons):
        shown = words(nodes[f"l1n{j}"])
        if neuron.b.grad != 0.0:
            assert f"b {number(neuron.b.data)} · grad {number(neuron.b.grad)}" in shown
            k = max(range(2), key=lambda i: abs(neuron.w[i].grad))
            assert f"w{k} grad {number(neuron.w[k].grad)} (largest)" in shown
        else:
            assert "grad" not in shown
        for i, w in enumerate(neuron.w):
            edge = edges[f"x{i}->l1n{j}"]
            # every weight's grad in its edge's tooltip; weights with none are faint
            assert tooltips(edge) == [f"L1.N{j}.w{i} = {number(w.data)}, grad {number(w.grad)}"]
            assert stroke(edge)[2] < 0.5 if w.grad == 0.0 else stroke(edge)[2] > 0.5
    assert "faint edges: weights whose grad is 0" in caption(svg)


def test_digits_inputs_are_one_8x8_grid_and_the_picture_says_so():
    X, y = load_digits()
    model = MLP(64, [32, 10], seed=0)
    losses.cross_entropy([model(X[0])], [y[0]]).backward()
    svg = draw_network(model, X[0]).pipe(format="svg")
    nodes, edges = svg_nodes(svg), svg_edges(svg)
    assert "x0" not in nodes and words(nodes["x"]) == "x : 64 inputs"
    cells = [r for r in nodes["x"].iter(SVG + "polygon") if r.get("fill") not in ("none", None)]
    assert len(cells) >= 64  # one shaded cell per pixel
    assert len(edges) == 32 + 32 * 10  # one grid edge per hidden neuron, then one per weight
    text = caption(svg)
    assert "the 64 inputs are drawn as one 8×8 grid" in text
    assert "stands for a neuron's 64 weights" in text
    assert min(font_sizes(svg)) >= 10
    width, _ = size_px(svg)
    assert width <= 2000


def test_draw_network_takes_one_layer_and_a_note():
    layer = Layer(3, 2, seed=0, name="L1")
    svg = draw_network(layer, [1.0, 2.0, 3.0], note="my note").pipe(format="svg")
    assert {"x0", "x1", "x2", "l1n0", "l1n1"} <= set(svg_nodes(svg))
    assert "my note" in caption(svg)


def test_what_is_not_an_nn_model_or_a_wrong_x_gets_a_clear_error():
    model = MLP(2, [3, 1], seed=0)
    for bad in (Value(1.0), object(), "MLP", [1, 2]):
        with pytest.raises(TypeError, match="draw_network draws an nn MLP"):
            draw_network(bad)
    with pytest.raises(
        ValueError, match=r"x must have 2 numbers, one per input of the model; got 3"
    ):
        draw_network(model, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="x must hold numbers, found str"):
        draw_network(model, [1.0, "2"])
    with pytest.raises(TypeError, match="x must be a list of 2 numbers"):
        draw_network(model, 1.0)


def test_labels_are_drawn_as_text():
    model = MLP(2, [1], seed=0)
    model.layers[0].neurons[0].name = '<b>&"x"\\N'
    svg = draw_network(model).pipe(format="svg")
    assert words(svg_nodes(svg)["l1n0"]).startswith('<b>&"x"\\N b ')


def test_a_weight_that_is_not_finite_is_drawn_at_full_width():
    model = MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[1].w[0].data = float("inf")
    svg = draw_network(model).pipe(format="svg")
    edges = svg_edges(svg)
    assert stroke(edges["x0->l1n1"])[1] == 4.0
    assert 0.4 <= stroke(edges["x1->l1n1"])[1] <= 4.0
