"""`gradstep train` run end to end, as a user runs it: a subprocess writing into a fresh folder."""

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from svg import caption, font_sizes, size_px, svg_nodes

import nn
from nn.cli.folder import claim_folder

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
    assert m["step_loss"] == m["history"]["step_loss"][-1] and m["seconds"] > 0
    # the files, checked by content
    for png in ("loss.png", "decision_boundary.png"):
        assert (out / png).read_bytes()[:8] == PNG
    # graph.svg: the network after sample 0's backward pass, readable at 100%
    graph = (out / "graph.svg").read_bytes()
    assert {"x0", "x1", "l1n15", "l2n15", "l3n0"} <= set(svg_nodes(graph))
    assert "after the backward pass of sample 0's loss" in caption(graph)
    assert max(size_px(graph)) <= 2000 and min(font_sizes(graph)) >= 10
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
    assert result.stderr.count("training diverged") == 1  # not a warning and then a line
    m = metrics(out)
    assert m["stop_reason"] == "diverged" and m["steps"] < 50
    model = nn.load(out / "model.json")  # finite weights: it could be saved and read back
    assert all(abs(p.data) < float("inf") for p in model.parameters())
    assert (out / "fit.png").read_bytes()[:8] == PNG


def test_render_every_draws_the_network_every_k_steps_with_a_player(tmp_path):
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
    files = sorted(os.listdir(out / "graphs"))
    assert files == ["index.html", "step_0000.svg", "step_0002.svg"]  # the frames and their player
    page = (out / "graphs" / "index.html").read_text(encoding="utf-8")
    assert '"frames": ["step_0000.svg", "step_0002.svg"]' in page
    assert "L2.N0" in svg_texts(out / "graphs" / files[-1])
    assert {"l1n3", "l2n0"} <= set(svg_nodes((out / "graphs" / files[-1]).read_bytes()))


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
    assert (
        metrics(compiled)["history"]["step_accuracy"] == metrics(eager)["history"]["step_accuracy"]
    )
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


# ---- issue 10: nothing lost, nothing wrong in silence ----


def assert_clean_failure(result, status):
    """The exit status, and no Python traceback or warning text: only gradstep's own lines."""
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr, result.stderr


def assert_every_file_written(out):
    """model.json reads back with finite weights; metrics.json lists exactly what is there."""
    m = metrics(out)
    model = nn.load(out / "model.json")
    assert all(abs(p.data) < float("inf") for p in model.parameters())
    assert sorted(os.listdir(out)) == sorted(name.rstrip("/") for name in m["files"])
    assert (out / "loss.png").read_bytes()[:8] == PNG
    return m


@pytest.mark.parametrize(
    "flags",
    [
        ("--lr", "1e6"),
        ("--lr", "1e308"),
        ("--dataset", "iris", "--lr", "1e308"),
        ("--dataset", "blobs", "--lr", "1e308"),
        ("--dataset", "sine", "--optimizer", "sgd", "--lr", "1e308", "--steps", "20"),
    ],
    ids=" ".join,
)
def test_a_diverged_run_writes_every_file_it_can_and_says_so_once(tmp_path, flags):
    out = tmp_path / "boom"
    result = train(*flags, "--out", str(out))
    assert_clean_failure(result, 1)
    assert result.stderr.count("training diverged") == 1
    assert result.stderr.startswith("gradstep train: training diverged at step")
    m = assert_every_file_written(out)
    assert m["stop_reason"] == "diverged" and m["message"] in result.stderr
    for note in m["notes"]:  # a picture it could not draw is named, in the summary too
        assert note.split()[0] not in m["files"] and note in result.stdout


def test_a_picture_that_cannot_be_drawn_is_skipped_with_a_note(tmp_path):
    out = tmp_path / "no-dot"
    no_graphviz = {**os.environ, "PATH": str(tmp_path)}  # `dot` cannot be found
    result = subprocess.run(
        [sys.executable, "-m", "nn", "train", "--dataset", "xor", "--hidden", "2"]
        + ["--steps", "3", "--render-every", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        env=no_graphviz,
        timeout=300,
    )
    assert_clean_failure(result, 0)
    m = assert_every_file_written(out)
    assert "graph.svg" not in m["files"] and m["steps"] == 3
    graph_note, frames_note = sorted(m["notes"])
    assert graph_note.startswith("graph.svg not drawn:") and graph_note in result.stdout
    assert frames_note.startswith("graphs/ stopped at step 0:") and frames_note in result.stdout
    assert (out / "decision_boundary.png").read_bytes()[:8] == PNG


USAGE_ERRORS = {
    "empty --out": (["--out", ""], "--out is empty"),
    "impossible --out": (["--out", "/proc/gradstep-run"], "cannot create --out /proc/gradstep"),
    "unwritable --out": (["--out", "/proc/self", "--force"], "cannot write into --out /proc/self"),
    "--out under a file": (["--out", "{tmp}/a-file/run"], "a-file is a file, not a folder"),
    "too long a name": (["--out", "{tmp}/new/" + "x" * 300], "cannot create --out"),
    "no training sample": (["--test-size", "0.999", "--out", "{tmp}/x"], "from about 0.02 to 0.98"),
    "a class with no training sample": (
        ["--dataset", "iris", "--test-size", "0.99", "--out", "{tmp}/x"],
        "leaves a class with no sample in the training or the test part",
    ),
    "regression, no training sample": (
        ["--dataset", "sine", "--test-size", "0.999", "--out", "{tmp}/x"],
        "leaves no sample in the training or the test part (sine: 100 samples)",
    ),
}


@pytest.mark.parametrize("case", USAGE_ERRORS)
def test_a_bad_flag_is_a_usage_error_that_leaves_nothing_behind(tmp_path, case):
    flags, said = USAGE_ERRORS[case]
    (tmp_path / "a-file").write_text("not a folder")
    result = train(*[flag.format(tmp=tmp_path) for flag in flags])
    assert_clean_failure(result, 2)
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("gradstep train: error: ") and said in error
    assert sorted(os.listdir(tmp_path)) == ["a-file"]  # no folder, no parent of one


def test_the_output_folder_is_claimed_once(tmp_path):
    out = tmp_path / "run"
    claim = claim_folder(str(out), "moons")
    with pytest.raises(ValueError, match="being written by another gradstep run"):
        claim_folder(str(out), "moons")
    with pytest.raises(ValueError, match="being written by another gradstep run"):
        claim_folder(str(out), "moons", force=True)
    claim.release()
    claim_folder(str(out), "moons", force=True).release()
    assert os.listdir(out) == []  # the lock is gone with the run


def test_a_run_into_a_folder_another_run_holds_refuses(tmp_path):
    out = tmp_path / "run"
    claim = claim_folder(str(out), "xor")  # stands for a run in progress
    try:
        for force in ([], ["--force"]):
            result = train("--dataset", "xor", "--steps", "1", "--out", str(out), *force)
            assert_clean_failure(result, 2)
            assert "being written by another gradstep run" in result.stderr
            assert os.listdir(out) == [os.path.basename(claim.lock)]
    finally:
        claim.release()
    result = train("--dataset", "xor", "--steps", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out)) == sorted(metrics(out)["files"])  # no lock left


def test_two_runs_started_at_once_into_one_new_folder_one_refuses(tmp_path):
    # Whether they overlap or not, exactly one run may write the folder: the other refuses
    # (because the first holds it, or because it already holds the first one's files).
    out = tmp_path / "run"
    command = [sys.executable, "-m", "nn", "train", "--dataset", "xor", "--steps", "5"]
    runs = [
        subprocess.Popen(
            command + ["--seed", str(seed), "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    statuses = [run.returncode for run in runs]
    assert sorted(statuses) == [0, 2]
    winner, loser = statuses.index(0), statuses.index(2)
    refused = outputs[loser][1]
    assert "Traceback" not in refused and "gradstep train: error: " in refused
    assert metrics(out)["seed"] == (1, 2)[winner]
    assert sorted(os.listdir(out)) == sorted(metrics(out)["files"])


def test_the_folder_claim_tries_to_write_rather_than_read_permission_bits(tmp_path):
    locked = tmp_path / "read-only"
    locked.mkdir(mode=0o500)
    try:
        if os.geteuid() == 0:  # root writes anyway: refusing would be a false alarm
            claim_folder(str(locked), "xor").release()
        else:
            with pytest.raises(ValueError, match="cannot write into --out"):
                claim_folder(str(locked), "xor")
        assert os.listdir(locked) == []
    finally:
        locked.chmod(0o700)


def test_many_or_big_frames_get_a_warning_before_training(tmp_path):
    # digits, one frame per step: 400 frames of ~270 KB. --lr 1e308 ends the run at once.
    out = tmp_path / "frames"
    result = train("--dataset", "digits", "--render-every", "1", "--lr", "1e308", "--out", str(out))
    first = result.stderr.splitlines()[0]
    assert first.startswith("gradstep train: --render-every 1 will draw 400 frames of about")
    assert " MB in graphs/" in first and "--render-every 8 would draw 50" in first
    assert result.stderr.count("--render-every") == 2  # one line: the count and the cure
    # one frame per step of a tiny model, 60 steps: too many frames, though small ones
    result = train(
        "--dataset", "xor", "--hidden", "1", "--steps", "60", "--render-every", "1",
        "--out", str(tmp_path / "many"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("gradstep train: --render-every 1 will draw 60 frames")
    assert "--render-every 2 would draw 30" in result.stderr
    frames = [n for n in os.listdir(tmp_path / "many" / "graphs") if n.endswith(".svg")]
    assert len(frames) == 60 and (tmp_path / "many" / "graphs" / "index.html").exists()
    assert "graphs/" in metrics(tmp_path / "many")["files"]


def test_few_small_frames_get_no_warning(tmp_path):
    result = train(
        "--dataset", "xor", "--hidden", "2", "--steps", "50", "--render-every", "1",
        "--out", str(tmp_path / "fifty"),
    )  # fmt: skip
    assert result.returncode == 0 and result.stderr == ""


@pytest.mark.parametrize(
    "flags, why",
    [
        (("--l2", "3", "--lr", "0.5", "--schedule", "constant"), "lr·l2 = 1.5 >= 1"),
        (("--l2", "1e+308", "--optimizer", "adam"), "the L2 term l2·Σp² alone is inf"),
    ],
    ids=["sgd decay", "adam penalty"],
)
def test_a_run_that_l2_makes_diverge_names_l2_not_the_learning_rate(tmp_path, flags, why):
    out = tmp_path / "l2"
    result = train(*flags, "--out", str(out))
    assert_clean_failure(result, 1)
    assert f"Try a smaller l2 than {flags[1]}" in result.stderr and why in result.stderr
    assert "smaller learning rate" not in result.stderr
    assert metrics(out)["message"] in result.stderr
