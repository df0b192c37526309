"""gradstep as a user gets it: the wheel built, installed into a fresh virtual environment and run
from another folder, with and without Graphviz's `dot` on PATH: a CSV of their own, and a saved
digits model that `gradstep eval` and `nn.load` score exactly as the run did."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "engine", "nn")  # what the wheel is built of


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{command[:4]}...: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh virtual environment with the wheel installed (dependencies from a wheelhouse
    made once here, so the install itself reads no index); returns its bin folder."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a copy: building writes build/ and *.egg-info next to the code
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    run([*pip, "wheel", "-q", "--no-deps", "-w", str(base / "dist"), str(source)])
    (wheel,) = (base / "dist").glob("gradstep-*.whl")
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    run([*pip, "wheel", "-q", "-w", str(base / "house"), *dependencies])
    run([sys.executable, "-m", "venv", str(base / "venv")])
    bin_dir = base / "venv" / "bin"
    install = [str(bin_dir / "python"), "-m", "pip", "--disable-pip-version-check", "install"]
    run([*install, "-q", "--no-index", "--find-links", str(base / "house"), str(wheel)])
    return bin_dir


def user_env(bin_dir, with_dot=True):
    """The environment of a user who installed the wheel: no PYTHONPATH into this checkout,
    PATH the venv's bin folder (and dot's, when they have Graphviz)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    path = [str(bin_dir)]
    if with_dot:
        dot = shutil.which("dot")
        assert dot, "these tests need Graphviz's dot on PATH (./dev installs it)"
        path.append(os.path.dirname(dot))
    env["PATH"] = os.pathsep.join(path)
    return env


@pytest.fixture
def home(tmp_path):
    """A user's folder, far from this checkout."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def gradstep(venv, home, *args, with_dot=True):
    return subprocess.run(
        [str(venv / "gradstep"), *args],
        capture_output=True,
        text=True,
        cwd=home,
        env=user_env(venv, with_dot),
        timeout=600,
    )


def test_the_wheel_runs_its_own_code_from_another_folder(venv, home):
    result = run(
        [str(venv / "python"), "-c", "import nn, engine; print(nn.__file__, engine.__file__)"],
        cwd=home,
        env=user_env(venv),
    )
    assert str(venv.parent) in result.stdout and str(ROOT) not in result.stdout
    trained = gradstep(venv, home, "train", "--dataset", "xor", "--steps", "5")
    assert trained.returncode == 0, trained.stderr
    (folder,) = (home / "runs").iterdir()
    files = json.loads((folder / "metrics.json").read_text())["files"]
    assert "graph.svg" in files and sorted(os.listdir(folder)) == sorted(files)


def test_without_dot_the_run_finishes_and_one_line_says_how_to_install_it(venv, home):
    result = gradstep(venv, home, "train", "--steps", "5", "--out", "run", with_dot=False)
    assert result.returncode == 0 and result.stderr == ""
    (install,) = [line for line in result.stdout.splitlines() if "install graphviz" in line]
    assert install.startswith("          (graph.svg not drawn: Graphviz's `dot` program")
    assert "apt-get install graphviz" in install and "brew install graphviz" in install
    files = json.loads((home / "run" / "metrics.json").read_text())["files"]
    assert files == ["model.json", "loss.png", "decision_boundary.png", "metrics.json"]
    assert "accuracy  train" in result.stdout and "files     run/" in result.stdout


def test_a_csv_of_ones_own(venv, home):
    rows = ["length,width,kind"]
    rows += [f"{1 + i % 7},{2 + i % 3},short" for i in range(15)]
    rows += [f"{30 + i % 7},{2 + i % 3},long" for i in range(15)]
    (home / "things.csv").write_text("\n".join(rows) + "\n")
    result = gradstep(venv, home, "train", "--dataset", "things.csv", "--steps", "30", "--out", "t")
    assert result.returncode == 0, result.stderr
    assert "things.csv (classification: long, short)" in result.stdout
    evaluated = gradstep(venv, home, "eval", "t")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "the run's test split, 8 of 30 rows" in evaluated.stdout
    assert "per class long" in evaluated.stdout


def test_a_reloaded_digits_model_scores_what_the_run_printed(venv, home):
    result = gradstep(venv, home, "train", "--dataset", "digits", "--steps", "60", "--out", "d")
    assert result.returncode == 0, result.stderr
    printed = re.search(r"accuracy  train [\d.]+%, test ([\d.]+%)", result.stdout).group(1)
    evaluated = gradstep(venv, home, "eval", "d")
    assert evaluated.returncode == 0, evaluated.stderr
    assert f"accuracy  {printed} (" in evaluated.stdout
    assert "the run's test split, 450 of 1797 rows" in evaluated.stdout
    # the same from Python: the saved model takes load_digits()'s raw pixels
    script = (
        "import nn; from nn.data import load_digits, train_test_split\n"
        "X, y = load_digits()\n"
        "_, X_test, _, y_test = train_test_split(X, y, test_size=0.25, seed=1337, stratify=True)\n"
        "print(repr(nn.evaluate(nn.load('d/model.json'), X_test, y_test)['accuracy']))\n"
    )
    reloaded = run([str(venv / "python"), "-c", script], cwd=home, env=user_env(venv))
    metrics = json.loads((home / "d" / "metrics.json").read_text())
    assert float(reloaded.stdout) == metrics["test_accuracy"]
    assert f"{metrics['test_accuracy']:.1%}" == printed
