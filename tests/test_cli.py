"""`gradstep train` run end to end, as a user runs it: a subprocess writing into a fresh folder."""

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import nn

SVG = "{http://www.w3.org/2000/svg}"
PNG = b"\x89PNG\r\n\x1a\n"
GRADSTEP = Path(sys.executable).with_name("gradstep")


def train(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "nn", "train", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def metrics(folder):
    return json.loads((folder / "metrics.json").read_text())


def svg_texts(path):
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return " ".join(t.text or "" for t in root.iter(f"{SVG}text"))


def test_default_run_is_micrograds_demo_and_reaches_100_percent(tmp_path):
    out = tmp_path / "run"
    result = train("--out", str(out))
    assert result.returncode == 0, result.stderr
    m = metrics(out)
    assert m["train_accuracy"] == 1.0
    assert m["dataset"] == "moons" and m["n_train"] == 100 and "test_accuracy" not in m
    assert m["model"]["shape"] == "2-16-16-1" and m["model"]["activation"] == "relu"
    assert m["loss_function"] == "hinge" and m["l2"] == 1e-4 and m["optimizer"] == "sgd"
    assert m["steps"] == 100 and m["stop_reason"] == "steps"
    assert m["history"]["lr"][0] == 1.0 and m["history"]["lr"][-1] == pytest.approx(0.109)
    assert m["loss"] == m["history"]["loss"][-1] and m["seconds"] > 0
    # the files, checked by content
    for png in ("loss.png", "decision_boundary.png"):
        assert (out / png).read_bytes()[:8] == PNG
    texts = svg_texts(out / "graph.svg")
    assert "L1.N0.w0" in texts and "L3.N0" in texts and "loss" in texts
    model = nn.load(out / "model.json")
    assert model.config() == {"nin": 2, "nouts": [16, 16, 1], "activation": "relu"}
    # the summary
    assert "train 100.0%" in result.stdout and str(out) in result.stdout
    assert sorted(os.listdir(out)) == sorted(m["files"])


def test_the_installed_console_script_runs(tmp_path):
    if not GRADSTEP.exists():
        pytest.skip(f"no gradstep script next to {sys.executable} (package not installed)")
    out = tmp_path / "xor"
    result = subprocess.run(
        [str(GRADSTEP), "train", "--dataset", "xor", "--steps", "3", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert metrics(out)["dataset"] == "xor" and metrics(out)["steps"] == 3
    assert (out / "decision_boundary.png").read_bytes()[:8] == PNG


def test_a_real_data_set_gets_a_held_out_test_split(tmp_path):
    out = tmp_path / "iris"
    result = train("--dataset", "iris", "--steps", "30", "--lr", "0.05", "--out", str(out))
    assert result.returncode == 0, result.stderr
    m = metrics(out)
    assert m["n_train"] == 112 and m["n_test"] == 38
    assert m["loss_function"] == "cross_entropy" and m["model"]["shape"] == "4-16-3"
    assert 0.8 <= m["test_accuracy"] <= 1.0 and m["test_loss"] > 0
    assert "test" in result.stdout
    assert not (out / "decision_boundary.png").exists()  # 4-D data: no boundary to draw
    assert (out / "loss.png").read_bytes()[:8] == PNG
    assert "L2.N2" in svg_texts(out / "graph.svg")


def test_an_existing_folder_is_never_overwritten_silently(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = train("--steps", "1", "--out", str(out))
    assert result.returncode == 2
    assert "exists and is not empty" in result.stderr and "--force" in result.stderr
    assert os.listdir(out) == ["notes.txt"]
    forced = train("--dataset", "xor", "--steps", "1", "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "notes.txt").read_text() == "mine" and metrics(out)["steps"] == 1


def test_default_folder_is_new_under_runs(tmp_path):
    for _ in range(2):
        result = train("--dataset", "blobs", "--steps", "1", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    runs = sorted(os.listdir(tmp_path / "runs"))
    assert len(runs) == 2 and all(name.startswith("blobs-") for name in runs)
    assert all((tmp_path / "runs" / name / "metrics.json").exists() for name in runs)


def test_unknown_names_get_an_error_listing_the_valid_ones():
    result = train("--dataset", "mnist")
    assert result.returncode == 2
    assert "invalid choice: 'mnist'" in result.stderr
    for name in ("moons", "circles", "spirals", "xor", "blobs", "sine", "iris", "digits"):
        assert name in result.stderr
    result = train("--loss", "hinj")
    assert result.returncode == 2 and "cross_entropy" in result.stderr


def test_a_loss_that_does_not_fit_the_data_set_is_refused_with_advice(tmp_path):
    result = train("--dataset", "blobs", "--loss", "hinge", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "two classes" in result.stderr and "cross_entropy" in result.stderr
    assert not (tmp_path / "x").exists()
    result = train("--hidden", "16,x")
    assert result.returncode == 2 and "16,16" in result.stderr


def test_a_diverging_run_exits_1_and_keeps_the_restored_model(tmp_path):
    out = tmp_path / "boom"
    result = train(
        "--dataset", "sine", "--optimizer", "sgd", "--lr", "1e6", "--steps", "50", "--out", str(out)
    )
    assert result.returncode == 1
    assert "diverged" in result.stderr and "smaller learning rate" in result.stderr
    m = metrics(out)
    assert m["stop_reason"] == "diverged" and m["steps"] < 50
    model = nn.load(out / "model.json")  # finite weights: it could be saved and read back
    assert all(abs(p.data) < float("inf") for p in model.parameters())
    assert (out / "fit.png").read_bytes()[:8] == PNG


def test_render_every_draws_frames_of_the_backward_pass(tmp_path):
    out = tmp_path / "frames"
    result = train(
        "--dataset",
        "xor",
        "--hidden",
        "4",
        "--steps",
        "4",
        "--render-every",
        "2",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    frames = sorted(os.listdir(out / "graphs"))
    assert frames == ["step_0000.svg", "step_0002.svg"]
    assert "L2.N0" in svg_texts(out / "graphs" / frames[-1])


def test_no_hidden_layer_and_other_flags_reach_the_model(tmp_path):
    out = tmp_path / "linear"
    result = train(
        "--dataset",
        "moons",
        "--hidden",
        "",
        "--optimizer",
        "adam",
        "--loss",
        "bce",
        "--steps",
        "5",
        "--batch-size",
        "10",
        "--seed",
        "3",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    m = metrics(out)
    assert m["model"]["shape"] == "2-1" and m["loss_function"] == "bce"
    assert m["optimizer"] == "adam" and m["batch_size"] == 10 and m["seed"] == 3
    assert m["l2"] == 0.0  # the hinge demo's L2 does not follow another loss


def test_no_compile_trains_eagerly_to_the_same_model(tmp_path):
    flags = ("--steps", "20", "--hidden", "8,8")
    compiled, eager = tmp_path / "compiled", tmp_path / "eager"
    result = train(*flags, "--out", str(compiled))
    assert result.returncode == 0, result.stderr
    result = train(*flags, "--no-compile", "--out", str(eager))
    assert result.returncode == 0, result.stderr
    a, b = nn.load(compiled / "model.json"), nn.load(eager / "model.json")
    assert a.state_dict().keys() == b.state_dict().keys()
    for name, w in a.state_dict().items():
        assert abs(w - b.state_dict()[name]) <= 1e-9, name
    assert metrics(compiled)["history"]["accuracy"] == metrics(eager)["history"]["accuracy"]
    assert "--no-compile" in train("--help").stdout


@pytest.fixture(autouse=True)
def _no_runs_folder_left_in_the_repo():
    before = os.path.exists("runs")
    yield
    if not before and os.path.isdir("runs"):  # a test forgot --out or cwd: clean up, then fail
        shutil.rmtree("runs")
        pytest.fail("a CLI test wrote runs/ into the working directory")


@pytest.mark.parametrize("module", ["nn", "nn.cli"])
def test_version_names_the_installed_package(module):
    command = [sys.executable, "-m", module, "--version"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "gradstep 0.1.0"
