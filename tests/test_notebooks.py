"""The lesson notebooks: each runs top to bottom in a fresh kernel without an error, says what it
claims (gradcheck True, digits test accuracy >= 0.9, ...), and the committed copy is such a run
of the current lesson source. Nothing is written in the repository: the run stays in memory."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NAMES = [
    "01_chain_rule",
    "02_gradient_descent",
    "03_training_an_mlp",
    "04_losses",
    "05_real_data",
    "06_common_mistakes",
]


def _load_build():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ there
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = before
    return module


build = _load_build()


def lesson(name: str) -> Path:
    return NOTEBOOKS / "lessons" / f"{name}.py"


def committed(name: str):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def printed(nb) -> str:
    """Everything the notebook printed (streams and plain-text results), in order."""
    parts = []
    for cell in code_cells(nb):
        for out in cell.outputs:
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type == "execute_result":
                parts.append(out.data.get("text/plain", ""))
    return "\n".join(parts)


def pictures(nb, mime: str) -> list[str]:
    return [
        out.data[mime]
        for cell in code_cells(nb)
        for out in cell.outputs
        if out.output_type in ("display_data", "execute_result") and mime in out.data
    ]


def number_after(label: str, text: str) -> float:
    found = re.search(re.escape(label) + r"\s*([-+]?\d+(?:\.\d+)?)", text)
    assert found, f"{label!r} is not in the notebook's output"
    return float(found.group(1))


# What each lesson claims, checked on its printed output (committed and fresh alike).
def claims_01(nb, text):
    assert "every gradient equals the one worked out by hand" in text
    for line in ("gradcheck neuron: True", "gradcheck L: True", "gradcheck g': True"):
        assert line in text
    assert len(pictures(nb, "image/svg+xml")) == 3  # draw_dot: L before, halfway, the neuron
    assert all("<svg" in svg for svg in pictures(nb, "image/svg+xml"))


def claims_02(nb, text):
    assert "the same: True" in text  # hand-written update == nn.optim.SGD
    best = number_after("best w* =", text)
    assert abs(number_after("about right: w after 12 steps =", text) - best) < 1e-2
    assert abs(number_after("diverges: w after 12 steps =", text) - best) > 10


def claims_03(nb, text):
    assert "same losses as the plain loop: True" in text
    assert "same weights: True" in text
    assert "compiled = eager: True" in text and "d_N_w0 += x_0 * d_v5" in text
    assert number_after("final training accuracy", text) == 100
    # two frames of one example's backward pass, one box per neuron, then draw_network
    frames = pictures(nb, "image/svg+xml")
    assert len(frames) == 3 and all("<svg" in svg for svg in frames)
    assert "L2.N15" in frames[0] and "19 Values" in frames[0]
    for svg in frames:  # readable in a notebook column: no text under 10 pt, no shrinking
        width = float(re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg).group(1))
        assert width <= 900
        assert min(float(f) for f in re.findall(r'font-size="([\d.]+)"', svg)) >= 10
    assert "1  loss = mean([v16])" in text and not re.search(r"loss = v\d+ / 1", text)
    # the lab: the whole run recorded, every step, and its page written
    assert number_after("", text[: text.index(" recorded steps: every step is recorded")][-4:]) > 20
    assert "the page: lab/index.html" in text


def claims_04(nb, text):
    ce = number_after("cross-entropy: test accuracy", text)
    squared = number_after("squared error of probabilities: test accuracy", text)
    assert ce >= 0.9 and ce > squared
    assert number_after("training MSE", text) < 0.05


def claims_05(nb, text):
    assert number_after("test accuracy:", text) >= 0.9
    assert number_after("training accuracy", text) >= 0.9


def claims_06(nb, text):
    # each mistake is caught by a number, next to the right version
    assert number_after("recursive, no topological order: dc/da =", text) == 6
    assert number_after("in topological order:            dc/da =", text) == 4
    assert number_after("finite differences:               dc/da =", text) == 4
    assert "gradcheck of the engine's backward: True" in text
    assert number_after("grad = ...:          df/dx =", text) == 3
    assert number_after("grad += ...:         df/dx =", text) == 7
    assert "L2.N0.b.grad == dL/dL2.N0.b: True" in text
    assert number_after("without", text) > number_after("with zero_grad", text)
    exploded = re.search(r"lr = 2\.0: loss [\d.]+ -> ([\d.e+]+)", text)
    assert exploded and float(exploded.group(1)) > 100
    assert number_after("lr = 0.2: loss 2.403 ->", text) < 1
    assert len(pictures(nb, "image/png")) == 2  # the two loss curves


CLAIMS = {name: globals()[f"claims_{name[:2]}"] for name in NAMES}


def test_every_lesson_has_a_committed_notebook():
    assert [p.stem for p in build.lesson_paths()] == NAMES
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_a_full_run_of_its_lesson(name):
    nb = committed(name)
    nbformat.validate(nb)
    fresh = build.build(lesson(name))
    assert [(c.cell_type, c.source) for c in nb.cells] == [
        (c.cell_type, c.source) for c in fresh.cells
    ], f"{name}.ipynb is out of date with lessons/{name}.py: run notebooks/build.py {name[:2]}"
    cells = code_cells(nb)
    # run once, top to bottom, in one kernel: execution counts 1, 2, 3, ...
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert not [c for c in nb.cells if "execution" in c.metadata]  # no timestamps committed
    assert " at 0x" not in printed(nb)  # nor memory addresses, which change on every run
    assert pictures(nb, "image/png") or pictures(nb, "image/svg+xml")
    CLAIMS[name](nb, printed(nb))


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_in_a_fresh_kernel(name):
    nb = build.build(lesson(name))
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)"))
    before = sorted(p.relative_to(NOTEBOOKS) for p in NOTEBOOKS.rglob("*"))
    build.execute(nb, timeout=120)  # raises CellExecutionError, with the traceback, on an error
    assert sorted(p.relative_to(NOTEBOOKS) for p in NOTEBOOKS.rglob("*")) == before
    cells = code_cells(nb)
    assert all(c.execution_count for c in cells)
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]
    # the kernel ran on this interpreter's environment, not some other Python on the PATH
    assert cells[-1].outputs[0].text.strip() == sys.prefix, (
        "the kernel 'python3' started another Python than the tests' own; "
        "is there a python3 kernelspec in ~/.local/share/jupyter/kernels?"
    )
    CLAIMS[name](nb, printed(nb))
