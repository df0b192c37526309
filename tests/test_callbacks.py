"""Callbacks: early stopping by the numbers, a real tqdm bar, and real Graphviz SVG frames."""

import io
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest
from svg import caption, svg_nodes, texts

import engine
import nn
from engine.text import number
from nn.data import make_moons, make_xor
from nn.train import FitState, Objective, fit
from nn.train.callbacks import (
    EarlyStopping,
    ProgressBar,
    RenderGraphs,
    RenderNetwork,
    render_sample_graph,
    render_sample_network,
)

SVG = "{http://www.w3.org/2000/svg}"


def _texts(path):
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def _feed(stopper, losses):
    stopper.on_train_begin(None)
    for step, loss in enumerate(losses):
        if stopper.on_step_end(step, {"loss": loss}):
            return step
    return None


def test_early_stopping_counts_steps_without_improvement():
    assert _feed(EarlyStopping(patience=2), [3.0, 2.0, 2.5, 2.1, 1.0]) == 3
    assert _feed(EarlyStopping(patience=3), [3.0, 2.0, 2.5, 2.1, 1.0, 1.1]) is None


def test_early_stopping_min_delta_ignores_tiny_improvements():
    stopper = EarlyStopping(patience=2, min_delta=0.1)
    assert _feed(stopper, [1.0, 0.95, 0.92, 0.5]) == 2
    assert stopper.best == 1.0 and stopper.best_step == 0
    assert "has not improved for 2 steps" in stopper.message


def test_early_stopping_starts_afresh_for_each_run():
    stopper = EarlyStopping(patience=1)
    assert _feed(stopper, [1.0, 2.0]) == 1
    assert _feed(stopper, [5.0, 4.0, 3.0]) is None


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_early_stopping_wants_a_positive_int_patience(bad):
    with pytest.raises((TypeError, ValueError), match="patience must be an int >= 1"):
        EarlyStopping(bad)


def test_progress_bar_shows_steps_loss_accuracy_and_lr():
    out = io.StringIO()
    X, y = make_xor(n_samples=20, seed=0)
    fit(nn.MLP(2, [4, 1], seed=0), X, y, steps=5, callbacks=[ProgressBar(file=out)])
    text = out.getvalue()
    assert "5/5" in text
    assert "loss=" in text and "acc=" in text and "lr=" in text


def test_no_bar_when_progress_is_off_or_stderr_is_not_a_terminal(capsys):
    X, y = make_xor(n_samples=20, seed=0)
    fit(nn.MLP(2, [4, 1], seed=0), X, y, steps=3, progress=False)
    fit(nn.MLP(2, [4, 1], seed=0), X, y, steps=3)  # pytest's stderr is not a terminal
    assert capsys.readouterr().err == ""


def test_render_graphs_writes_an_svg_every_k_steps(tmp_path):
    X, y = make_moons(n_samples=20, seed=0)
    model = nn.MLP(2, [4, 4, 1], seed=0)
    renderer = RenderGraphs(tmp_path / "frames", every=2, sample=3)
    history = fit(model, X, y, loss="hinge", steps=5, callbacks=[renderer], progress=False)
    names = sorted(os.listdir(tmp_path / "frames"))
    assert names == ["index.html", "step_0000.svg", "step_0002.svg", "step_0004.svg"]
    assert renderer.written == [str(tmp_path / "frames" / n) for n in names[1:]]
    data = player_data(tmp_path / "frames" / "index.html")  # the player, next to its frames
    assert data["frames"] == names[1:]
    assert data["lines"][1].startswith(f"after step 2, loss {history.loss[2]:.6g}, accuracy ")
    texts = " ".join(_texts(tmp_path / "frames" / "step_0004.svg"))
    # the boxes of a neuron, a weight and the gradients of the one-sample graph
    assert "L1.N0" in texts and "L3.N0.w0" in texts and "grad" in texts


def player_data(path) -> dict:
    page = path.read_text(encoding="utf-8")
    return json.loads(re.search(r"const DATA = (.*);\n", page).group(1))


def test_render_network_plays_the_network_learning(tmp_path):
    X, y = make_moons(n_samples=20, seed=0)
    model = nn.MLP(2, [4, 4, 1], seed=0)
    renderer = RenderNetwork(tmp_path / "graphs", every=3, sample=1)
    fit(model, X, y, loss="hinge", steps=7, callbacks=[renderer], progress=False)
    names = sorted(os.listdir(tmp_path / "graphs"))
    assert names == ["index.html", "step_0000.svg", "step_0003.svg", "step_0006.svg"]
    data = player_data(tmp_path / "graphs" / "index.html")
    assert data["frames"] == names[1:] and len(data["lines"]) == 3
    assert data["title"] == "the network learning: sample 1, every 3 steps"
    svg = (tmp_path / "graphs" / "step_0006.svg").read_bytes()
    nodes = svg_nodes(svg)
    assert {"x0", "x1", "l1n0", "l2n3", "l3n0"} <= set(nodes)
    text = caption(svg)
    assert f"MLP 2-4-4-1 for x = [{number(X[1][0])}, {number(X[1][1])}]" in text
    assert "after the backward pass of sample 1's loss" in text


def test_the_network_picture_of_a_sample_shows_its_gradients_and_puts_grads_back(tmp_path):
    X, y = make_xor(n_samples=8, seed=0)
    model = nn.MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.grad = 0.25
    target = 1.0 if y[5] else -1.0
    path = render_sample_network(
        model, lambda i, skip: nn.losses.hinge([model(X[i])], [target]), X[5], 5, tmp_path / "n.svg"
    )
    assert all(p.grad == 0.25 for p in model.parameters())
    loss = nn.losses.hinge([model(X[5])], [target])
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()
    shown = " ".join(" ".join(texts(g)) for g in svg_nodes(open(path, "rb").read()).values())
    bias = model.layers[1].neurons[0].b
    assert bias.grad != 0.0 and f"grad {number(bias.grad)}" in " ".join(shown.split())
    assert f"sample 5's loss, {loss.data:.4g}" in caption(open(path, "rb").read())


def test_rendered_graph_is_one_samples_loss_with_its_gradients(tmp_path):
    X, y = make_xor(n_samples=8, seed=0)
    model = nn.MLP(2, [3, 1], seed=0)
    target = 1.0 if y[5] else -1.0
    for p in model.parameters():
        p.grad = 0.25  # as if in the middle of training: these must be left alone
    drawn = render_sample_graph(
        model, lambda i, skip: nn.losses.hinge([model(X[i])], [target]), 5, tmp_path / "g.svg"
    )
    path = drawn.path
    assert drawn.skipped_layers == 0 and drawn.values == len(
        engine.topological_order(nn.losses.hinge([model(X[5])], [target]))
    )
    assert all(p.grad == 0.25 for p in model.parameters())
    texts = " ".join(_texts(path))
    # the loss box shows the sample's loss and d loss / d loss = 1
    loss = nn.losses.hinge([model(X[5])], [target]).data
    assert "loss" in texts and "grad 1" in texts
    assert loss > 0 and f"data {number(loss)}" in texts


def test_render_graphs_checks_the_sample_index(tmp_path):
    X, y = make_xor(n_samples=8, seed=0)
    with pytest.raises(ValueError, match="sample=8 is out of range"):
        fit(
            nn.MLP(2, [2, 1], seed=0),
            X,
            y,
            steps=1,
            progress=False,
            callbacks=[RenderGraphs(tmp_path, every=1, sample=8)],
        )
    with pytest.raises(ValueError, match="every must be an int >= 1"):
        RenderGraphs(tmp_path, every=0)


def test_a_graph_too_big_to_read_leaves_out_the_first_layers(tmp_path):
    X = [[0.1 * j for j in range(30)]]  # 30 inputs: the first layer alone has 8 * 31 weights
    model = nn.MLP(30, [8, 3], seed=0)
    objective = Objective("cross_entropy", 3, [2])
    state = FitState(model, X, [2], objective, None, 1, None)
    drawn = render_sample_graph(model, state.sample_loss, 0, tmp_path / "g.svg", max_nodes=100)
    assert drawn.skipped_layers == 1 and drawn.values <= 100
    texts = " ".join(_texts(drawn.path))
    # layer 1's outputs are the inputs of the picture; its weights are not drawn
    assert "L1.N7" in texts and "L2.N2.w7" in texts and "L1.N0.w0" not in texts
    with pytest.raises(ValueError, match="more than max_nodes=10"):
        render_sample_graph(model, state.sample_loss, 0, tmp_path / "h.svg", max_nodes=10)
    assert not (tmp_path / "h.svg").exists()
