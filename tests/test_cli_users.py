"""The command line for a user's second hour: their own CSV, `gradstep eval`, models that take raw
rows, no Graphviz, held-out curves, and the small things. Run as a user runs it: subprocesses."""

import json
import os
import subprocess
import sys

import pytest

import nn
from nn.data import IRIS_CLASSES, load_iris, train_test_split

PNG = b"\x89PNG\r\n\x1a\n"


def gradstep(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "nn", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def metrics(folder):
    return json.loads((folder / "metrics.json").read_text())


def usage_error(result, command="train"):
    """The run failed as a usage error: exit 2, the command's usage, one error line, no trace."""
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"usage: gradstep {command}")
    assert "Traceback" not in result.stderr and result.stdout == ""
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"gradstep {command}: error: ")
    return last


def pets(path, n=40):
    """A CSV of cats and dogs: weight (kg) and height (cm), far apart; the kind is the target."""
    lines = ["weight,height,kind"]
    for i in range(n):
        if i % 2:
            lines.append(f"{25 + i % 7},{55 + i % 9},dog")
        else:
            lines.append(f"{3 + (i % 5) / 2},{22 + i % 6},cat")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    """One iris run, shared: its folder and the summary it printed."""
    out = tmp_path_factory.mktemp("iris") / "run"
    result = gradstep("train", "--dataset", "iris", "--steps", "60", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result.stdout


# ---- models carry their preprocessing ----


def test_a_standardized_run_saves_a_model_that_takes_raw_rows(iris_run):
    out, printed = iris_run
    m = metrics(out)
    model = nn.load(out / "model.json")
    assert type(model) is nn.Sequential and type(model[0]) is nn.Standardize
    assert model.class_names == IRIS_CLASSES
    X, y = load_iris()  # raw centimetres, as a user has them
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.25, seed=1337, stratify=True)
    scored = nn.evaluate(model, X_test, y_test, "cross_entropy")
    assert scored["accuracy"] == m["test_accuracy"] and scored["loss"] == m["test_loss"]
    assert f"test {m['test_accuracy']:.1%}" in printed
    assert "Standardize, then MLP 4-16-3, relu" in printed
    assert m["model"]["saved"] == "Standardize, then MLP 4-16-3, relu"


# ---- held-out curves and which loss is which ----


def test_a_held_out_run_records_its_test_curve_and_names_its_losses(iris_run):
    out, printed = iris_run
    m = metrics(out)
    history = m["history"]
    assert history["test_steps"] == list(range(0, 61, 3))
    assert history["test_loss"][-1] == m["test_loss"]
    assert history["test_accuracy"][-1] == m["test_accuracy"]
    assert len(history["step_loss"]) == 60 and m["step_loss"] == history["step_loss"][-1]
    assert "train_loss and test_loss: the cross_entropy data loss" in m["losses"]
    assert "(cross_entropy data loss, final weights)" in printed
    assert f"test {m['test_loss']:.6g}" in printed and m["l2_term"] is None


def test_the_l2_term_is_printed_apart_from_the_data_loss(tmp_path):
    out = tmp_path / "moons"
    result = gradstep("train", "--steps", "5", "--hidden", "4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    m = metrics(out)
    model = nn.load(out / "model.json")
    assert m["l2_term"] == pytest.approx(1e-4 * sum(p.data**2 for p in model.parameters()))
    assert f"+ L2 term {m['l2_term']:.6g} (0.0001·Σw²) in training" in result.stdout
    assert f"train {m['train_loss']:.6g} (hinge data loss, final weights)" in result.stdout


# ---- your own data ----


def test_a_csv_file_trains_with_its_class_names(tmp_path):
    data = pets(tmp_path / "pets.csv")
    result = gradstep("train", "--dataset", str(data), "--steps", "40", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("pets-")
    m = metrics(folder)
    assert m["dataset"] == str(data) and m["dataset_file"] == str(data)
    assert m["task"] == "classification" and m["class_names"] == ["cat", "dog"]
    assert (m["n_train"], m["n_test"], m["test_size"]) == (30, 10, 0.25)
    assert m["loss_function"] == "cross_entropy" and m["optimizer"] == "adam"
    assert m["standardize"] and m["test_accuracy"] == 1.0
    assert "dataset   " + str(data) + " (classification: cat, dog)" in result.stdout
    model = nn.load(folder / "model.json")
    assert model.class_names == ("cat", "dog")
    cat, dog = model([3.5, 23.0]), model([30.0, 60.0])  # raw kilograms and centimetres
    assert cat[0] > cat[1] and dog[1] > dog[0]
    assert (folder / "decision_boundary.png").read_bytes()[:8] == PNG


def test_a_csv_regression_by_target_and_task(tmp_path):
    data = tmp_path / "cars.csv"
    rows = [f"{i},{20 - i % 5},{2 * i + 1}" for i in range(12)]
    data.write_text("speed,gears,distance\n" + "\n".join(rows) + "\n")
    out = tmp_path / "cars"
    result = gradstep(
        "train", "--dataset", str(data), "--target", "speed", "--task", "regression",
        "--steps", "20", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    m = metrics(out)
    assert (m["task"], m["target"], m["loss_function"]) == ("regression", "speed", "mse")
    assert m["n_test"] == 0 and "test_loss" not in m  # 12 rows: too few to hold any out
    assert m["class_names"] == [] and "accuracy" not in result.stdout
    evaluated = gradstep("eval", str(out))
    assert evaluated.returncode == 0, evaluated.stderr
    assert "all 12 rows (the run held none out: its training rows)" in evaluated.stdout
    assert "RMSE" in evaluated.stdout and "(mse data loss)" in evaluated.stdout


MALFORMED = [
    ("x,y,kind\n1,2,a\n3,4\n", "line 3: 2 fields, but the header (line 1) names 3 columns"),
    ("x,y,kind\n1,2,a\n3,four,b\n", "line 3: column 'y' is 'four', not a number"),
    ("x,y,kind\n1,2,a\n3,4,a\n", "the target 'kind' is 'a' on every data line (lines 2-3)"),
    ("", "is empty: a CSV needs a header row"),
]


@pytest.mark.parametrize("text, words", MALFORMED, ids=["ragged", "text", "one-class", "empty"])
def test_a_malformed_csv_is_a_usage_error_naming_the_line(tmp_path, text, words):
    data = tmp_path / "bad.csv"
    data.write_text(text)
    result = gradstep("train", "--dataset", str(data), "--out", str(tmp_path / "run"))
    assert words in usage_error(result)
    assert not (tmp_path / "run").exists()  # checked before the folder is claimed


def test_a_missing_file_and_csv_flags_on_a_named_set_are_usage_errors(tmp_path):
    last = usage_error(gradstep("train", "--dataset", "none.csv", cwd=tmp_path))
    assert "cannot read --dataset none.csv: No such file or directory" in last
    last = usage_error(gradstep("train", "--dataset", "iris", "--target", "kind", cwd=tmp_path))
    assert "--target is for CSV files; iris is a named data set" in last
    last = usage_error(gradstep("train", "--dataset", "mnist", cwd=tmp_path))
    assert "invalid choice: 'mnist'" in last and "or give a .csv file" in last


# ---- gradstep eval ----


def test_eval_scores_the_runs_own_test_split_and_writes_nothing(iris_run, tmp_path):
    out, _ = iris_run
    before = sorted(os.listdir(out))
    result = gradstep("eval", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    m = metrics(out)
    assert "the run's test split, 38 of 150 rows (seed 1337, test_size 0.25)" in result.stdout
    assert f"accuracy  {m['test_accuracy']:.1%} ({round(m['test_accuracy'] * 38)} of 38)" in (
        result.stdout
    )
    assert f"loss      {m['test_loss']:.6g} (cross_entropy data loss)" in result.stdout
    assert "per class setosa" in result.stdout
    assert sorted(os.listdir(out)) == before and os.listdir(tmp_path) == []
    # the same through the model file, into --out
    scores = tmp_path / "scores.json"
    result = gradstep("eval", str(out / "model.json"), "--dataset", "iris", "--out", str(scores))
    assert result.returncode == 0, result.stderr
    written = json.loads(scores.read_text())
    assert written["split"] == "test" and written["rows"] == 38
    assert written["accuracy"] == m["test_accuracy"] and written["loss"] == m["test_loss"]


def test_eval_on_another_file_scores_every_row_by_class_name(iris_run, tmp_path):
    out, _ = iris_run
    X, y = load_iris()
    kept = [(x, IRIS_CLASSES[t]) for x, t in zip(X, y) if t > 0]  # no setosa: indices shift
    data = tmp_path / "two_species.csv"
    lines = ["a,b,c,d,species"] + [",".join(map(str, x)) + f",{name}" for x, name in kept]
    data.write_text("\n".join(lines) + "\n")
    result = gradstep("eval", str(out), "--dataset", str(data))
    assert result.returncode == 0, result.stderr
    model = nn.load(out / "model.json")
    labels = [IRIS_CLASSES.index(name) for _, name in kept]
    expected = nn.evaluate(model, [x for x, _ in kept], labels, "cross_entropy")
    assert "all 100 rows" in result.stdout
    assert f"accuracy  {expected['accuracy']:.1%}" in result.stdout
    assert "per class versicolor" in result.stdout and "setosa" not in result.stdout


def test_eval_refuses_bad_paths_models_and_data_with_one_line(iris_run, tmp_path):
    out, _ = iris_run
    assert "no such file or folder" in usage_error(gradstep("eval", str(tmp_path / "x")), "eval")
    assert "has no model.json" in usage_error(gradstep("eval", str(tmp_path)), "eval")
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "gradstep.mlp"')
    last = usage_error(gradstep("eval", str(broken), "--dataset", "iris"), "eval")
    assert str(broken) in last and "invalid JSON" in last
    lone = tmp_path / "lone.json"
    lone.write_text((out / "model.json").read_text())
    assert "--dataset is needed" in usage_error(gradstep("eval", str(lone)), "eval")
    last = usage_error(gradstep("eval", str(lone), "--dataset", "moons"), "eval")
    assert "the model takes 4 features per row, but moons has 2" in last
    last = usage_error(gradstep("eval", str(out), "--out", str(tmp_path / "no" / "s.json")), "eval")
    assert "does not exist" in last
    assert sorted(os.listdir(tmp_path)) == ["broken.json", "lone.json"]


# ---- pictures are optional ----


def test_without_graphviz_a_run_writes_every_other_file_and_says_how_to_install_it(tmp_path):
    bare = tmp_path / "bin"  # a PATH with no `dot` on it
    bare.mkdir()
    out = tmp_path / "run"
    env = {**os.environ, "PATH": str(bare)}
    result = gradstep("train", "--dataset", "xor", "--steps", "3", "--out", str(out), env=env)
    assert result.returncode == 0 and result.stderr == ""
    m = metrics(out)
    assert m["files"] == ["model.json", "loss.png", "decision_boundary.png", "metrics.json"]
    assert sorted(os.listdir(out)) == sorted(m["files"])
    (note,) = m["notes"]
    assert note.startswith("graph.svg not drawn: Graphviz's `dot` program was not found on PATH")
    assert "apt-get install graphviz" in note and "Traceback" not in result.stdout
    install = [line for line in result.stdout.splitlines() if "install graphviz" in line]
    assert install == [f"          ({note})"]  # one line of the summary, after its files line
    assert "accuracy  train" in result.stdout and "graph.svg," not in result.stdout


# ---- small things ----


def test_zero_steps_is_refused_with_trains_usage_line(tmp_path):
    refused = gradstep("train", "--steps", "0", cwd=tmp_path)
    assert "--steps: must be >= 1, got 0" in usage_error(refused)
    refused = gradstep("train", "--lr", "abc", cwd=tmp_path)
    assert "--lr: 'abc' is not a number" in usage_error(refused)
    assert os.listdir(tmp_path) == []


def test_no_hidden_layer_is_said_in_words(tmp_path):
    out = tmp_path / "linear"
    result = gradstep("train", "--hidden", "0", "--steps", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "model     MLP 2-1 (no hidden layer), 3 parameters" in result.stdout
    assert metrics(out)["model"]["hidden"] == "no hidden layer"


def test_the_files_line_lists_the_frames_folder(tmp_path):
    out = tmp_path / "frames"
    result = gradstep(
        "train", "--dataset", "xor", "--hidden", "2", "--steps", "2", "--render-every", "1",
        "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "graphs/" in metrics(out)["files"]
    assert "graph.svg, graphs/, metrics.json" in result.stdout


def test_the_divergence_message_is_said_once(tmp_path):
    out = tmp_path / "boom"
    result = gradstep(
        "train", "--dataset", "sine", "--optimizer", "sgd", "--lr", "1e6", "--steps", "50",
        "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert said.count("Try a smaller learning rate") == 1
    assert "steps     " in result.stdout and "(training diverged)" in result.stdout
