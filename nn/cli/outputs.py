"""What a `gradstep train` run leaves behind: the files in its folder and the summary it prints.

Nothing is lost to a picture: model.json is written first, every picture is drawn under a guard
(one that cannot be drawn is left out with a note; without Graphviz, the note says how to install
it), and metrics.json is written last, whatever happened before it.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from typing import Any

from engine.files import write_atomic
from nn import MLP, Sequential
from nn.cli.recipes import Plan
from nn.train import FitState, Objective, output_count, plots
from nn.train.callbacks import render_sample_network


def write_outputs(
    out, plan, model, history, X, y, test, n_test, started, files=(), notes=(), pages=(), saved=None
) -> dict[str, Any]:
    """Write model.json, the pictures and metrics.json (always, last); return the metrics.

    `model` is the network that trained on `X`; `saved`, when given, is what model.json holds:
    the network behind the scaling fitted to its training rows, so that it takes raw rows.
    `files` and `notes`: what the run wrote and has to say already (graphs/); a picture that
    cannot be drawn adds a note (without Graphviz, the note says how to install it). `pages`:
    more (file name, draw) pairs, drawn as the pictures are (the lab page of --lab).
    """
    written: list[str] = []
    notes = list(notes)
    try:
        (saved or model).save(os.path.join(out, "model.json"))
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
        metrics = run_metrics(
            plan, saved or model, history, test, len(X), n_test, written + [*files], notes
        )
        metrics["total_seconds"] = round(time.perf_counter() - started, 3)
        text = json.dumps(finite(metrics), indent=1, allow_nan=False) + "\n"
        write_atomic(os.path.join(out, "metrics.json"), text)
    return metrics


def pictures(plan, model, history, X, y) -> list[tuple[str, Callable[[str], str | None]]]:
    """(file name, draw) for each picture of the run; draw(path) returns a note or None."""
    title = f"{plan.dataset}: MLP {shape(plan)}, {plan.loss}, {plan.optimizer}"
    smooth = steps_per_epoch(len(X), plan.batch_size)

    def loss_curves(path: str) -> None:
        plots.loss_curves(history, path, title=title, smooth=smooth)

    def boundary(path: str) -> None:
        names = plan.class_names or None
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


def steps_per_epoch(n: int, batch_size: int | None) -> int | None:
    """How many minibatches make an epoch, to smooth per-step curves over (None: full batch)."""
    if not batch_size or batch_size >= n:
        return None
    return math.ceil(n / batch_size)


def sample_graph(plan, model, history, X, y, path: str) -> str | None:
    """Draw the network after sample 0's backward pass into graph.svg."""
    objective = Objective(plan.loss, output_count(model, X[0]), y)
    state = FitState(model, X, y, objective, None, plan.steps, history)
    render_sample_network(model, state.sample_loss, X[0], 0, path)
    return None


def run_metrics(plan, saved, history, test, n_train, n_test, written, notes) -> dict[str, Any]:
    """What metrics.json holds: the plan, the scores, the history and the files, named as the
    summary names them."""
    metrics = {
        "dataset": plan.dataset,
        "dataset_file": plan.file,
        "target": plan.target,
        "task": plan.task,
        "class_names": list(plan.class_names),
        "n_train": n_train,
        "n_test": n_test,
        "test_size": plan.test_size,
        "model": {
            "nin": plan.n_features,
            "nouts": [*plan.hidden, plan.n_outputs],
            "activation": plan.activation,
            "shape": shape(plan),
            "hidden": hidden_text(plan),
            "saved": model_text(saved),
            "parameters": len(saved.parameters()),
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
        "losses": LOSSES_TEXT.format(loss=plan.loss, l2=f"{plan.l2:g}"),
        "train_loss": history.train_loss,
        "l2_term": l2_term(plan, saved),
        "step_loss": history.loss[-1] if history.loss else None,
        "train_accuracy": history.train_accuracy,
        "seconds": round(history.seconds, 3),
        "total_seconds": None,
        "best_step": history.best_step,
        "best_loss": history.best_loss,
        "history": {
            "step_loss": history.loss,
            "step_accuracy": history.accuracy,
            "lr": history.lr,
            "test_steps": history.val_steps,
            "test_loss": history.val_losses,
            "test_accuracy": history.val_accuracies,
        },
        "files": written + ["metrics.json"],
        "notes": notes,
    }
    if test is not None:  # a run that holds nothing out has no test scores at all
        metrics["test_loss"] = test["loss"]
        metrics["test_accuracy"] = test["accuracy"]
    return metrics


# What each loss in the summary and in metrics.json is.
LOSSES_TEXT = (
    "train_loss and test_loss: the {loss} data loss over the training and the test set, final "
    "weights; l2_term: {l2}·Σw² over the weights, which training adds to the data loss; "
    "step_loss: a step's batch data loss + L2 term, before its update (history.step_loss)"
)


def l2_term(plan: Plan, model) -> float | None:
    """The L2 term training adds to the data loss, with the final weights (None without L2)."""
    if not plan.l2:
        return None
    return plan.l2 * math.fsum(p.data * p.data for p in model.parameters())


def summary(plan, saved, history, test, out, metrics) -> None:
    """Print a few lines a person reads after the run: model, training, losses, accuracy, files."""

    def pct(a):
        return "n/a" if a is None else f"{a:.1%}"

    # a diverged run's message goes to stderr, once, by the caller
    stopped = "training diverged" if history.diverged else history.message
    lines = [
        f"dataset   {plan.dataset} ({plan.task}{classes_text(plan.class_names)})",
        f"model     {model_text(saved)}, {len(saved.parameters()):,} parameters",
        f"training  {plan.loss}"
        + (f" + {plan.l2:g}·L2" if plan.l2 else "")
        + f", {plan.optimizer} lr {plan.lr:g} ({plan.schedule})"
        + (f", batches of {plan.batch_size}" if plan.batch_size else ", full batch"),
        f"steps     {history.steps} in {history.seconds:.1f} s ({stopped})",
        loss_line(plan, metrics),
    ]
    if metrics["l2_term"] is not None:
        lines.append(f"          + L2 term {metrics['l2_term']:.6g} ({plan.l2:g}·Σw²) in training")
    if plan.task == "classification":
        line = f"accuracy  train {pct(history.train_accuracy)}"
        if test is not None:
            line += f", test {pct(test['accuracy'])}"
        lines.append(line)
    lines.append(f"files     {out}{os.sep}: {', '.join(metrics['files'])}")
    lines += [f"          ({note})" for note in metrics["notes"]]
    print("\n".join(lines))


def loss_line(plan: Plan, metrics: dict) -> str:
    """The losses the summary prints, saying which they are: the data loss, final weights."""

    def value(x):
        return "n/a" if x is None else f"{x:.6g}"

    scores = f"train {value(metrics['train_loss'])}"
    if metrics["n_test"]:
        scores += f", test {value(metrics['test_loss'])}"
    return f"loss      {scores} ({plan.loss} data loss, final weights)"


def classes_text(names, shown: int = 10) -> str:
    """': setosa, versicolor, virginica' (at most `shown` names), or '' without names."""
    if not names:
        return ""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ": " + ", ".join(names[:shown]) + more


def hidden_text(plan: Plan) -> str:
    """The hidden layers in words: 'no hidden layer', '1 hidden layer of 16', ..."""
    if not plan.hidden:
        return "no hidden layer"
    if len(plan.hidden) == 1:
        return f"1 hidden layer of {plan.hidden[0]}"
    return f"{len(plan.hidden)} hidden layers of {', '.join(map(str, plan.hidden))}"


def model_text(model) -> str:
    """The saved model in words: 'Standardize, then MLP 64-32-10, relu', or its class name."""
    parts = list(model) if isinstance(model, Sequential) else [model]
    words = []
    for part in parts:
        if isinstance(part, MLP):
            sizes = "-".join(str(n) for n in [part.nin, *part.nouts])
            hidden = len(part.nouts) > 1
            words.append(
                f"MLP {sizes}, {part.activation}" if hidden else f"MLP {sizes} (no hidden layer)"
            )
        else:
            words.append(type(part).__name__)
    return ", then ".join(words)


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
