"""Draw the figures under docs/ with the project's own code: `python docs/make_figures.py [dir]`.

- graph.svg: micrograd's first example after `backward()`, drawn by `engine.viz.draw_dot`.
- neuron.svg: one tanh neuron, tanh(w·x + b), with its parameters coloured as parameters.
- backward/: every step of the example's backward pass and a player (`backward/index.html`),
  drawn by `engine.viz.render_backward`.
- network.svg: the demo's network (2-16-16-1, before training) after one example's backward
  pass, drawn by `nn.viz.draw_network`.
- decision_boundary.png, loss.png: the main job, `gradstep train` with no flags.
- lab.png: the page `gradstep train --lab` writes for that run, at step 20, as headless
  Chromium shows it in a 1280×900 window.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import engine
from engine import Value
from engine.viz import draw_dot, render_backward


def example() -> Value:
    """L = (a·b + c)·f, as in micrograd's README; by hand dL/da = 6 and dL/db = -4."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c, f = Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L


def neuron() -> tuple[Value, list[Value]]:
    """tanh(w0·x0 + w1·x1 + b) on a fixed input: the inputs are constants, the weights leaves."""
    w = [Value(-3.0, label="w0"), Value(1.0, label="w1")]
    b = Value(6.8813735870195432, label="b")
    out = (engine.dot(w, [2.0, 0.0]) + b).tanh()
    out.label = "out"
    return out, [*w, b]


def main(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    L = example()
    L.backward()
    written = [Path(draw_dot(L).render(outfile=directory / "graph.svg", cleanup=True))]
    out, params = neuron()
    out.backward()
    written.append(
        Path(draw_dot(out, params=params).render(outfile=directory / "neuron.svg", cleanup=True))
    )
    written += render_backward(example(), directory / "backward")
    written.append(network(directory / "network.svg"))
    written += main_job(directory)
    return written


def network(path: Path) -> Path:
    """The demo's MLP as it starts, after the backward pass of the first example's loss."""
    from nn import MLP, losses
    from nn.data import make_moons
    from nn.viz import draw_network

    X, y = make_moons(100, noise=0.1, seed=1337)
    model = MLP(2, [16, 16, 1], init="micrograd", seed=1337)
    loss = losses.hinge([model(X[0])], [2 * y[0] - 1])
    loss.backward()
    note = f"after the backward pass of example 0's hinge loss, {loss.data:.4g}"
    return Path(draw_network(model, X[0], note).render(outfile=path, cleanup=True))


def main_job(directory: Path) -> list[Path]:
    """Run `gradstep train --lab` (micrograd's demo) and keep its two pictures and a
    screenshot of its lab page."""
    from nn.cli import main as gradstep

    with tempfile.TemporaryDirectory() as temp:
        run = Path(temp) / "run"
        if gradstep(["train", "--lab", "--out", str(run), "--no-progress"]) != 0:
            raise SystemExit("gradstep train failed")
        kept = [
            Path(shutil.copy(run / name, directory / name))
            for name in ("decision_boundary.png", "loss.png")
        ]
        return [*kept, screenshot(run / "lab" / "index.html", "#step=20", directory / "lab.png")]


def screenshot(page: Path, where: str, path: Path) -> Path:
    """`page` (opened at `where`) as headless Chromium shows it in a 1280×900 window, offline."""
    if shutil.which("chromium") is None:
        raise SystemExit("lab.png needs Chromium: apt-get install chromium (./dev test does)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--user-data-dir={profile}",
                "--window-size=1280,900",
                f"--screenshot={path}",
                page.as_uri() + where,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for path in main(target):
        print(path)
