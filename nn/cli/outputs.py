"""What a `gradstep train` run leaves behind: its folder, the files in it, the summary it prints.

The folder is claimed before training, so a bad --out fails in a second instead of after the run.
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any

from engine.files import write_atomic
from nn.cli.recipes import Plan
from nn.data import DATASETS
from nn.train import FitState, Objective, output_count, plots
from nn.train.callbacks import render_sample_network


def claim_folder(out: str | None, dataset: str, force: bool = False) -> str:
    """The output folder, created now: an existing non-empty one only with `force`.

    None picks a new folder runs/<dataset>-<time>. Raises ValueError when `out` cannot be used.
    """
    if out is not None:
        if os.path.exists(out) and not os.path.isdir(out):
            raise ValueError(f"--out {out} exists and is not a folder")
        if os.path.isdir(out) and os.listdir(out) and not force:
            raise ValueError(
                f"output folder {out} exists and is not empty; choose another "
                "--out, or pass --force to replace the files in it"
            )
        os.makedirs(out, exist_ok=True)
        return out
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = os.path.join("runs", f"{dataset}-{stamp}")
    os.makedirs("runs", exist_ok=True)
    for k in range(1, 1000):
        out = base if k == 1 else f"{base}-{k}"
        try:
            os.mkdir(out)  # atomic: two runs started in the same second get different folders
            return out
        except FileExistsError:
            continue
    raise ValueError(f"could not find a free folder name like {base}")


def write_outputs(out, plan, model, history, X, y, test, n_test, started) -> dict[str, Any]:
    """Write model.json, the plots, graph.svg and metrics.json (last); return the metrics."""
    written = []
    model.save(os.path.join(out, "model.json"))
    written.append("model.json")
    title = f"{plan.dataset}: MLP {shape(plan)}, {plan.loss}, {plan.optimizer}"
    plots.loss_curves(history, os.path.join(out, "loss.png"), title=title)
    written.append("loss.png")
    if plan.n_features == 2 and plan.task == "classification":
        plots.decision_boundary(
            model,
            X,
            y,
            os.path.join(out, "decision_boundary.png"),
            title=title,
            class_names=DATASETS[plan.dataset].class_names,
        )
        written.append("decision_boundary.png")
    if plan.n_features == 1 and plan.task == "regression":
        plots.regression_fit(model, X, y, os.path.join(out, "fit.png"), title=title)
        written.append("fit.png")

    objective = Objective(plan.loss, output_count(model, X[0]), y)
    state = FitState(model, X, y, objective, None, plan.steps, history)
    graph_note = None
    try:  # the network after sample 0's backward pass (nn.viz.draw_network)
        render_sample_network(model, state.sample_loss, X[0], 0, os.path.join(out, "graph.svg"))
        written.append("graph.svg")
    except ValueError as error:
        graph_note = f"graph.svg not drawn: {error}"

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
    }
    if test is not None:
        metrics["test_loss"] = test["loss"]
        metrics["test_accuracy"] = test["accuracy"]
    if graph_note:
        metrics["graph_note"] = graph_note
    metrics["total_seconds"] = round(time.perf_counter() - started, 3)
    text = json.dumps(finite(metrics), indent=1, allow_nan=False) + "\n"
    write_atomic(os.path.join(out, "metrics.json"), text)
    return metrics


def summary(plan, model, history, test, out, metrics) -> None:
    """Print a few lines a person reads after the run: model, training, accuracy, files."""

    def pct(a):
        return "n/a" if a is None else f"{a:.1%}"

    lines = [
        f"dataset   {plan.dataset} ({plan.task})",
        f"model     MLP {shape(plan)}, {plan.activation}, {len(model.parameters())} parameters",
        f"training  {plan.loss}"
        + (f" + {plan.l2:g}·L2" if plan.l2 else "")
        + f", {plan.optimizer} lr {plan.lr:g} ({plan.schedule})"
        + (f", batches of {plan.batch_size}" if plan.batch_size else ", full batch"),
        f"steps     {history.steps} in {history.seconds:.1f} s ({history.message})",
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
    if metrics.get("graph_note"):
        lines.append(f"          ({metrics['graph_note']})")
    print("\n".join(lines))


def shape(plan: Plan) -> str:
    """The MLP's layer sizes as 2-16-16-1."""
    return "-".join(str(n) for n in [plan.n_features, *plan.hidden, plan.n_outputs])


def finite(x):
    """NaN/inf become None, so metrics.json stays valid JSON."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [finite(v) for v in x]
    return x
