"""What a `gradstep train` run leaves behind: the files in its folder and the summary it prints.

Nothing is lost to a picture: model.json is written first, every picture is drawn under a
guard (one that cannot be drawn is skipped with a note), and metrics.json is written last,
whatever happened before it.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from typing import Any

from engine.files import write_atomic
from nn.cli.recipes import Plan
from nn.data import DATASETS
from nn.train import FitState, Objective, output_count, plots
from nn.train.callbacks import render_sample_network


def write_outputs(
    out, plan, model, history, X, y, test, n_test, started, files=(), notes=(), pages=()
) -> dict[str, Any]:
    """Write model.json, the pictures and metrics.json (always, last); return the metrics.

    `files` and `notes`: what the run wrote and has to say already (graphs/, frames it stopped
    drawing); a picture that cannot be drawn adds a note. `pages`: more (file name, draw)
    pairs, drawn as the pictures are (the lab page of --lab). An error writing model.json is
    raised after metrics.json is written.
    """
    written: list[str] = []
    notes = list(notes)
    try:
        model.save(os.path.join(out, "model.json"))
        written.append("model.json")
        for name, draw in [*pictures(plan, model, history, X, y), *pages]:
            try:
                note = draw(os.path.join(out, name))
                written.append(name)
            except Exception as error:  # a picture never costs the run its files
                note = f"{name} not drawn: {one_line(error)}"
            if note:
                notes.append(note)
    finally:
        metrics = run_metrics(plan, model, history, X, test, n_test, written + [*files], notes)
        metrics["total_seconds"] = round(time.perf_counter() - started, 3)
        text = json.dumps(finite(metrics), indent=1, allow_nan=False) + "\n"
        write_atomic(os.path.join(out, "metrics.json"), text)
    return metrics


def pictures(plan, model, history, X, y) -> list[tuple[str, Callable[[str], str | None]]]:
    """(file name, draw) for each picture of the run; draw(path) returns a note or None."""
    title = f"{plan.dataset}: MLP {shape(plan)}, {plan.loss}, {plan.optimizer}"

    def loss_curves(path: str) -> None:
        plots.loss_curves(history, path, title=title)

    def boundary(path: str) -> None:
        names = DATASETS[plan.dataset].class_names
        plots.decision_boundary(model, X, y, path, title=title, class_names=names)

    def fitted_curve(path: str) -> None:
        plots.regression_fit(model, X, y, path, title=title)

    def graph(path: str) -> str | None:
        return sample_graph(plan, model, history, X, y, path)

    found = [("loss.png", loss_curves)]
    if plan.n_features == 2 and plan.task == "classification":
        found.append(("decision_boundary.png", boundary))
    if plan.n_features == 1 and plan.task == "regression":
        found.append(("fit.png", fitted_curve))
    return found + [("graph.svg", graph)]


def sample_graph(plan, model, history, X, y, path: str) -> str | None:
    """Draw the network after sample 0's backward pass into graph.svg."""
    objective = Objective(plan.loss, output_count(model, X[0]), y)
    state = FitState(model, X, y, objective, None, plan.steps, history)
    # the network after sample 0's backward pass (nn.viz.draw_network)
    render_sample_network(model, state.sample_loss, X[0], 0, path)
    return None


def run_metrics(plan, model, history, X, test, n_test, written, notes) -> dict[str, Any]:
    """What metrics.json holds: the plan, the history, the scores, the files and the notes."""
    metrics = {
        "dataset": plan.dataset,
        "task": plan.task,
        "n_train": len(X),
        "n_test": n_test,
        "model": {
            "nin": plan.n_features,
            "nouts": [*plan.hidden, plan.n_outputs],
            "activation": plan.activation,
            "shape": shape(plan),
            "parameters": len(model.parameters()),
        },
        "loss_function": plan.loss,
        "l2": plan.l2,
        "optimizer": plan.optimizer,
        "lr": plan.lr,
        "schedule": plan.schedule,
        "batch_size": plan.batch_size,
        "seed": plan.seed,
        "standardize": plan.standardize,
        "steps": history.steps,
        "stop_reason": history.stop_reason,
        "message": history.message,
        "loss": history.loss[-1] if history.loss else None,
        "train_loss": history.train_loss,
        "train_accuracy": history.train_accuracy,
        "seconds": round(history.seconds, 3),
        "total_seconds": None,
        "best_step": history.best_step,
        "best_loss": history.best_loss,
        "history": {"loss": history.loss, "accuracy": history.accuracy, "lr": history.lr},
        "files": written + ["metrics.json"],
        "notes": notes,
    }
    if test is not None:
        metrics["test_loss"] = test["loss"]
        metrics["test_accuracy"] = test["accuracy"]
    return metrics


def summary(plan, model, history, test, out, metrics) -> None:
    """Print a few lines a person reads after the run: model, training, accuracy, files."""

    def pct(a):
        return "n/a" if a is None else f"{a:.1%}"

    # a diverged run's message goes to stderr, once, by the caller
    stopped = "training diverged" if history.diverged else history.message

    lines = [
        f"dataset   {plan.dataset} ({plan.task})",
        f"model     MLP {shape(plan)}, {plan.activation}, {len(model.parameters())} parameters",
        f"training  {plan.loss}"
        + (f" + {plan.l2:g}·L2" if plan.l2 else "")
        + f", {plan.optimizer} lr {plan.lr:g} ({plan.schedule})"
        + (f", batches of {plan.batch_size}" if plan.batch_size else ", full batch"),
        f"steps     {history.steps} in {history.seconds:.1f} s ({stopped})",
    ]
    if history.loss:
        lines.append(f"loss      {history.loss[-1]:.6g} (last step)")
    if plan.task == "classification":
        line = f"accuracy  train {pct(history.train_accuracy)}"
        if test is not None:
            line += f", test {pct(test['accuracy'])}"
        lines.append(line)
    elif test is not None and test["loss"] is not None:
        lines.append(f"test loss {test['loss']:.6g}")
    lines.append(f"files     {out}{os.sep}: {', '.join(metrics['files'])}")
    lines += [f"          ({note})" for note in metrics["notes"]]
    print("\n".join(lines))


def shape(plan: Plan) -> str:
    """The MLP's layer sizes as 2-16-16-1."""
    return "-".join(str(n) for n in [plan.n_features, *plan.hidden, plan.n_outputs])


def one_line(error: BaseException) -> str:
    """An error as one line for the summary and metrics.json: its first line, or its type."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def finite(x):
    """NaN/inf become None, so metrics.json stays valid JSON."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [finite(v) for v in x]
    return x
