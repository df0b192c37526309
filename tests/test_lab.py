"""The training lab: what LabRecorder records, the page write_lab writes, `gradstep train --lab`."""

import json
import math
import re
import subprocess
import sys

import pytest

import nn
from engine import Value, no_grad
from nn.cli import main
from nn.cli.recipes import make_plan
from nn.cli.run import GuardedLab, load_data
from nn.data import get_dataset, load_iris, make_moons, make_sine, train_test_split
from nn.train import fit, steps
from nn.train.callbacks import Callback
from nn.train.fit import prepare
from nn.train.lab import LabRecorder, lab_page, write_lab
from nn.train.labpage import embed

HOSTILE = "<script>alert(1)</script>"


def close(a: float, b: float) -> bool:
    """Equal to the 5 significant digits the recorder keeps."""
    return math.isclose(a, b, rel_tol=6e-5, abs_tol=1e-12)


def moons_run(n_steps=8, recorder=None, optimizer="sgd", **kw):
    X, y = make_moons(40, noise=0.1, seed=3)
    model = nn.MLP(2, [6, 5, 1], init="micrograd", seed=3)
    recorder = recorder or LabRecorder(name="moons")
    history = fit(
        model, X, y, loss="hinge", optimizer=optimizer, lr=0.3, l2=1e-4, steps=n_steps,
        callbacks=[recorder], progress=False, **kw,
    )  # fmt: skip
    return model, recorder, history, X, y


def flat(rows_per_layer, bias_per_layer):
    """A step's w and b as model.parameters() orders them: per neuron its weights, then b."""
    out = []
    for rows, bias in zip(rows_per_layer, bias_per_layer):
        for row, b in zip(rows, bias):
            out += [*row, b]
    return out


def embedded(page: str) -> dict:
    return json.loads(re.search(r"const LAB = (.*);\n", page).group(1))


# ---- what is recorded ----


def test_each_step_holds_the_weights_it_started_from_and_their_gradients():
    X, y = make_moons(40, noise=0.1, seed=3)
    twin = nn.MLP(2, [6, 5, 1], init="micrograd", seed=3)
    start = [p.data for p in twin.parameters()]
    fit(twin, X, y, loss="hinge", lr=0.3, l2=1e-4, steps=1, progress=False)
    grads = [p.grad for p in twin.parameters()]  # step 0's backward pass
    model, rec, history, _, _ = moons_run(n_steps=8)
    assert [s["step"] for s in rec.steps] == [*range(8), 8] and rec.steps[-1]["final"]
    first = rec.steps[0]
    assert all(map(close, flat(first["w"], first["b"]), start))
    assert all(map(close, flat(first["gw"], first["gb"]), grads))
    assert all(close(s["loss"], v) for s, v in zip(rec.steps, history.loss, strict=False))
    # the last entry is the model the run ended with
    final = rec.steps[-1]
    assert all(map(close, flat(final["w"], final["b"]), [p.data for p in model.parameters()]))
    assert final["gw"] == [None, None, None] and close(final["loss"], history.train_loss)


def test_a_step_that_reaches_the_target_loss_shows_no_backward_pass_and_no_update():
    _, rec, history, _, _ = moons_run(n_steps=8, target_loss=0.9)
    reached = rec.steps[-2]
    assert history.stop_reason == "target_loss" and reached["step"] == len(history.loss) - 1
    assert reached["reached"] and reached["updates"] == [] and reached["health"] is None
    assert reached["gw"] == [None, None, None]
    assert reached["story"][-1] == "stop: the loss reached the target: no backward pass, no update"
    assert not any(s["reached"] for s in rec.steps[:-2]) and rec.steps[0]["updates"]


def test_a_long_run_is_thinned_evenly_and_the_page_says_so():
    _, rec, _, _, _ = moons_run(n_steps=25, recorder=LabRecorder(max_steps=10))
    assert [s["step"] for s in rec.steps] == [0, 3, 6, 9, 12, 15, 18, 21, 24, 25]
    assert rec.meta["every"] == 3
    assert "1 step in 3 is recorded (and the last)" in rec.meta["thinning"]
    assert "(25 steps planned)" in rec.meta["thinning"]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_the_largest_updates_read_as_step_steps_prints_them(optimizer):
    # nn.train.steps runs the same loop with step_steps: its update lines are the reference
    X, y = make_moons(40, noise=0.1, seed=3)
    model = nn.MLP(2, [6, 5, 1], init="micrograd", seed=3)
    run = steps(model, X, y, loss="hinge", optimizer=optimizer, lr=0.3, l2=1e-4, steps=3)
    lines = {}
    for stage in run:
        if stage.kind == "update":
            for update in stage.steps():
                lines[(stage.step, update.name)] = update.lines
    _, rec, _, _, _ = moons_run(n_steps=3, optimizer=optimizer)
    for s in rec.steps[:-1]:
        shown = s["updates"]
        assert shown, s["step"]
        names = [line.split(" ")[0].rstrip(":") for line in shown if not line.startswith(" ")]
        assert len(names) == 3
        expected = [line for name in names for line in lines[(s["step"], name)]]
        assert shown == expected


def test_health_counts_relus_off_for_the_whole_batch_and_norms_the_gradient():
    X, y = make_moons(40, noise=0.1, seed=3)
    model = nn.MLP(2, [6, 5, 1], init="micrograd", seed=3)
    dead = model.layers[0].neurons[2]  # off for every sample: w = 0, b = -1
    for w in dead.w:
        w.data = 0.0
    dead.b.data = -1.0
    with no_grad():  # at the weights step 0 starts from
        hidden = [model.layers[0](x) for x in X]
    off = sum(all(h[j].data == 0.0 for h in hidden) for j in range(6))
    rec = LabRecorder()
    fit(model, X, y, loss="hinge", lr=0.3, steps=1, callbacks=[rec], progress=False)
    layer1 = rec.steps[0]["health"][0]
    assert close(layer1["dead"], off / 6) and layer1["dead"] >= 1 / 6
    assert rec.steps[0]["health"][2]["dead"] is None  # the output layer is linear
    grads = [p.grad for n in model.layers[0].neurons for p in (*n.w, n.b)]
    assert close(layer1["grad_norm"], math.hypot(*grads))


def test_the_engines_activations_of_the_first_examples_are_recorded():
    model, rec, _, X, _ = moons_run(n_steps=1)
    first = rec.steps[0]["checks"]["0"]
    twin = nn.MLP(2, [6, 5, 1], init="micrograd", seed=3)  # the weights step 0 started from
    with no_grad():
        h1 = twin.layers[0](X[0])
        h2 = twin.layers[1](h1)
        out = twin.layers[2](h2)
    expected = [[v.data for v in h1], [v.data for v in h2], [v.data for v in out]]
    assert all(close(a, b) for got, want in zip(first, expected) for a, b in zip(got, want))


def test_a_held_out_set_is_scored_with_a_confusion_matrix():
    X, y = load_iris()
    X, X_val, y, y_val = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
    model = nn.MLP(4, [8, 3], seed=0)
    rec = LabRecorder(X_val, y_val, class_names=["setosa", "versicolor", HOSTILE])
    twin = nn.MLP(4, [8, 3], seed=0)
    start = nn.train.evaluate(twin, X_val, y_val, "cross_entropy")
    fit(model, X, y, optimizer="adam", lr=0.01, steps=30, callbacks=[rec], progress=False)
    first = rec.steps[0]
    assert close(first["val_loss"], start["loss"]) and close(
        first["val_accuracy"], start["accuracy"]
    )
    matrix = first["learnt"]["matrix"]
    assert first["learnt"]["on"] == "held-out"
    assert [sum(row) for row in matrix] == [y_val.count(k) for k in range(3)]
    scored = [s for s in rec.steps if s["val_loss"] is not None]
    assert 2 <= len(scored) <= 21 and rec.steps[-1]["val_loss"] is not None
    assert (
        rec.meta["examples"]["from"] == "held-out set" and len(rec.meta["examples"]["index"]) == 12
    )
    assert rec.meta["classes"][2] == HOSTILE


def test_a_diverged_run_records_where_it_diverged_and_the_weights_it_kept():
    X, y = make_sine(n_samples=20, seed=0)
    model = nn.MLP(1, [4, 1], seed=0)
    rec = LabRecorder()
    with pytest.warns(RuntimeWarning, match="diverged"):
        history = fit(
            model, X, y, optimizer="sgd", lr=1e6, steps=50, callbacks=[rec], progress=False
        )
    end = rec.meta["end"]
    at = len([s for s in rec.steps if not s.get("final")])
    assert end["reason"] == "diverged" and end["diverged_at"] == at and end["kept"] == at - 1
    assert f"diverged at step {at}" in end["message"] == history.message
    final = rec.steps[-1]
    assert final["diverged"] and final["step"] == at and final["loss"] is None
    assert all(map(close, flat(final["w"], final["b"]), [p.data for p in model.parameters()]))
    # the kept weights are those step at - 1 started from
    assert final["w"] == rec.steps[-2]["w"] and f"step {at - 1}" in final["story"][0]
    json.dumps(rec.steps, allow_nan=False)  # huge numbers, never NaN or inf: JSON as it is


def record(compile, X, y, nouts, X_val=None, y_val=None, **options):
    """A recorded fit run set up as `fit` does it: (whether it trained compiled, recorder)."""
    model = nn.MLP(len(X[0]), nouts, init="micrograd", seed=3)
    rec = LabRecorder(X_val, y_val, name="run")
    run = prepare(model, X, y, callbacks=[rec], progress=False, compile=compile, **options)
    run.begin()
    run.loop.run(run.state.steps)
    run.end(0.0)
    return run.loop.compiled is not None, rec


@pytest.mark.parametrize("dataset", ["moons", "iris"])
def test_a_recorded_run_trains_compiled_and_records_what_an_eager_run_records(dataset):
    if dataset == "moons":
        X, y = make_moons(40, noise=0.1, seed=3)
        nouts, val, options = [6, 5, 1], (None, None), dict(loss="hinge", lr=0.3, l2=1e-4)
    else:  # several outputs, a held-out set, Adam, minibatches
        X, y = load_iris()
        X, X_val, y, y_val = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
        nouts, val, options = [8, 3], (X_val, y_val), dict(optimizer="adam", lr=0.01, batch_size=16)
    compiled, rec = record("auto", X, y, nouts, *val, steps=12, **options)
    eager, twin = record(False, X, y, nouts, *val, steps=12, **options)
    assert compiled and not eager
    # to the bit: activations, weights, grads, optimizer state, as the steps measured them
    assert rec._raw == twin._raw
    assert rec.steps == twin.steps and rec.meta == twin.meta
    first = rec.steps[0]
    assert all(h["dead"] is not None for h in first["health"][:-1])  # relus seen, compiled
    if dataset == "moons":
        assert [len(layer) for layer in first["checks"]["0"]] == nouts  # the page's check
    else:
        assert first["learnt"]["on"] == "held-out"


def test_a_two_class_model_of_many_inputs_records_its_batchs_confusion():
    X, y = make_moons(40, noise=0.1, seed=3)
    X = [[a, b, a * b] for a, b in X]  # three inputs: the page shows a confusion matrix
    _, rec = record("auto", X, y, [4, 1], loss="hinge", lr=0.3, steps=2)
    learnt = rec.steps[0]["learnt"]
    assert learnt["on"] == "batch" and sum(map(sum, learnt["matrix"])) == 40


# ---- bad input ----


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(TypeError, match="name must be a str"):
        LabRecorder(name=3)
    with pytest.raises(TypeError, match="class_names must be a list of str"):
        LabRecorder(class_names="ab")
    with pytest.raises(TypeError, match=r"class_names\[1\] must be a str"):
        LabRecorder(class_names=["a", 1])
    with pytest.raises(ValueError, match="max_steps"):
        LabRecorder(max_steps=1)
    with pytest.raises(ValueError, match="both X_val and y_val"):
        LabRecorder([[1.0]])


def test_a_model_that_is_not_an_mlp_is_refused_when_training_starts():
    class Line(nn.Module):
        def __init__(self):
            self.w = Value(0.5)

        def __call__(self, x):
            return self.w * x[0]

    X, y = make_sine(n_samples=10, seed=0)
    with pytest.raises(TypeError, match="LabRecorder records an MLP"):
        fit(Line(), X, y, steps=2, callbacks=[LabRecorder()], progress=False)


def test_write_lab_takes_a_folder_or_a_file_and_refuses_what_is_not_a_run(tmp_path):
    _, rec, _, _, _ = moons_run(n_steps=2)
    assert write_lab(tmp_path, rec) == tmp_path / "lab" / "index.html"
    data = {"meta": rec.meta, "steps": rec.steps}
    assert write_lab(tmp_path / "mine.html", data) == tmp_path / "mine.html"
    page = (tmp_path / "mine.html").read_text(encoding="utf-8")
    assert embedded(page) == {"meta": rec.meta, "steps": rec.steps}
    with pytest.raises(TypeError, match="LabRecorder or a dict"):
        write_lab(tmp_path, [1, 2])
    with pytest.raises(ValueError, match="nothing recorded"):
        write_lab(tmp_path / "empty", LabRecorder())
    assert not (tmp_path / "empty").exists()
    with pytest.raises(ValueError, match="'meta' and 'steps'"):
        write_lab(tmp_path, {"meta": {}})


def test_the_data_cannot_end_the_script_and_a_live_script_goes_where_the_page_starts():
    meta = {"title": HOSTILE, "classes": ["<!--", "</script><b>"], "note": "/*LIVE*/ \u2028"}
    page = lab_page(meta, [{"step": 0, "loss": math.inf}])
    data = re.search(r"const LAB = (.*);\n", page).group(1)
    assert "<" not in data and data.isascii()  # data, never markup
    assert embedded(page) == {"meta": meta, "steps": [{"step": 0, "loss": None}]}
    live = lab_page(meta, [], live_script="window.LAB_LIVE = {};")
    at = live.index("window.LAB_LIVE = {};")
    assert live.count("window.LAB_LIVE = {};") == 1 and embedded(live)["meta"] == meta
    assert live.index("const LAB = ") < at < live.index("(function () {", at)
    with pytest.raises(ValueError, match="</script"):
        lab_page(meta, [], live_script="x = '</SCRIPT>'")
    with pytest.raises(TypeError, match="steps must be a list"):
        lab_page(meta, "steps")


# ---- gradstep train --lab ----


def train(*args):
    return subprocess.run(
        [sys.executable, "-m", "nn", "train", *args], capture_output=True, text=True, timeout=120
    )


def test_gradstep_train_lab_writes_the_page_among_the_runs_files(tmp_path):
    run = train("--lab", "--steps", "4", "--out", str(tmp_path / "run"))
    assert run.returncode == 0, run.stderr
    page = tmp_path / "run" / "lab" / "index.html"
    data = embedded(page.read_text(encoding="utf-8"))
    assert data["meta"]["title"] == "moons, run" and [s["step"] for s in data["steps"]] == [
        0, 1, 2, 3, 4]  # fmt: skip
    files = json.loads((tmp_path / "run" / "metrics.json").read_text())["files"]
    assert "lab/index.html" in files and "lab/index.html" in run.stdout


def test_a_diverged_run_with_lab_still_writes_the_page_showing_where(tmp_path):
    out = tmp_path / "run"
    run = train(
        "--dataset", "sine", "--optimizer", "sgd", "--lr", "1e6", "--lab", "--out", str(out)
    )
    assert run.returncode == 1 and "diverged at step" in run.stderr
    data = embedded((out / "lab" / "index.html").read_text(encoding="utf-8"))
    end = data["meta"]["end"]
    assert end["reason"] == "diverged" and f"diverged at step {end['diverged_at']}" in run.stderr
    assert data["steps"][-1]["diverged"] and (out / "model.json").exists()


def test_a_recording_that_fails_costs_the_run_its_page_and_nothing_else(tmp_path, monkeypatch):
    def fails(self, step, logs):
        raise RuntimeError("no room left")

    monkeypatch.setattr(LabRecorder, "_record", fails)
    assert main(["train", "--lab", "--steps", "3", "--out", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["notes"] == [
        "lab/index.html not drawn: recording stopped at step 0: no room left"
    ]
    assert "model.json" in metrics["files"] and metrics["steps"] == 3
    assert not (tmp_path / "run" / "lab").exists()


def test_a_step_that_cannot_be_laid_out_stops_the_recording_not_the_run(monkeypatch):
    def fails(raw, facts):
        raise RuntimeError("no layout")

    monkeypatch.setattr(nn.train.lab, "page_step", fails)
    recorder = GuardedLab(name="moons")

    class Reads(Callback):  # as gradstep lab's gate and server do, during the run
        def on_step_end(self, step, logs):
            assert recorder.steps == []

    X, y = make_moons(20, seed=0)
    history = fit(nn.MLP(2, [4, 1], seed=0), X, y, steps=3, callbacks=[recorder, Reads()])
    assert history.stop_reason == "steps" and len(history.loss) == 3
    assert recorder.note == "recording stopped: a step could not be laid out: no layout"
    with pytest.raises(ValueError, match="could not be laid out"):
        recorder.write("page.html")


def test_a_page_of_the_digits_run_stays_under_20_mb():
    plan = make_plan("digits")
    X, y, X_test, y_test, _ = load_data(plan, get_dataset("digits"))

    class FirstSteps(Callback):
        def on_step_end(self, step, logs):
            return step == 2  # three steps of the 400 planned tell the size of one

    rec = LabRecorder(X_test, y_test, name="digits")
    model = nn.MLP(64, [*plan.hidden, 10], seed=plan.seed)
    fit(model, X, y, loss=plan.loss, optimizer="adam", lr=plan.lr, steps=plan.steps,
        batch_size=plan.batch_size, callbacks=[rec, FirstSteps()], progress=False)  # fmt: skip
    assert plan.steps == 400 and rec.every == 4  # so 100 steps + the last + the end
    biggest = max(len(embed(s)) for s in rec.steps)
    estimate = len(lab_page(rec.meta, [])) + 102 * (biggest + 1)
    assert estimate < 20e6, f"{estimate / 1e6:.1f} MB"
