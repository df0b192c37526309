"""`gradstep eval`: score a saved model on a data set, and say which rows it was scored on.

Given a run's folder (or its model.json), the data set the run trained on is scored on the
run's own held-out rows, found again from metrics.json (dataset, seed, test_size) as
`gradstep train` split them; any other data set is scored on every row. A saved model takes
raw rows (it carries its scaling), so nothing else is needed. Nothing is written unless
`--out` names a file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nn
from engine import no_grad
from engine.files import write_atomic
from nn.cli.datasets import is_file, open_dataset, same_file, split
from nn.cli.outputs import finite, model_text
from nn.data import DatasetInfo
from nn.train import Objective, output_count
from nn.train.loop import MATH_ERRORS
from nn.train.objective import as_output

DEFAULT_SEED = 1337  # gradstep train's


def evaluate(args: argparse.Namespace, usage_error: Callable[[str], None]) -> int:
    """Run `gradstep eval` with parsed flags; `usage_error` exits 2 with eval's usage line."""
    try:
        model_path, run = find_model(args.model)
        model = load_model(model_path)
        rows = eval_rows(args, run)
        check_out(args.out)
        scores = score(model, rows, run)
        if args.out:
            write_scores(args.out, model_path, rows, scores)
    except ValueError as error:
        usage_error(str(error))
    print(report(model_path, model, rows, scores))
    return 0


# ---- the model and its run ----


def find_model(path: str) -> tuple[str, dict | None]:
    """The model file and its run's metrics (None when there is no metrics.json for it)."""
    if os.path.isdir(path):
        model_path = os.path.join(path, "model.json")
        if not os.path.isfile(model_path):
            raise ValueError(
                f"{path} has no model.json: give a run's folder (written by gradstep train) "
                "or a saved model's .json file"
            )
    elif os.path.isfile(path):
        model_path = path
    else:
        raise ValueError(f"{path}: no such file or folder")
    metrics = os.path.join(os.path.dirname(model_path), "metrics.json")
    if not os.path.isfile(metrics):
        return model_path, None
    run = read_metrics(metrics)
    if os.path.basename(model_path) not in run.get("files", []):
        return model_path, None  # metrics.json of another model
    return model_path, run


def read_metrics(path: str) -> dict:
    """A run's metrics.json, checked for what eval reads from it."""
    try:
        with open(path, encoding="utf-8") as file:
            run = json.load(file)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    fields = {"dataset": str, "seed": int, "test_size": (int, float), "files": list}
    if not isinstance(run, dict) or any(not isinstance(run.get(k), t) for k, t in fields.items()):
        raise ValueError(
            f"{path} is not a gradstep run's metrics.json: it needs dataset, seed, test_size "
            "and files"
        )
    return run


def load_model(path: str) -> nn.Module:
    """`nn.load`, with a file that cannot be read as a ValueError too."""
    try:
        return nn.load(path)
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None


# ---- the rows to score ----


@dataclass
class Rows:
    """The rows to score, the data set they come from, and which of its rows they are."""

    X: list[list[float]]
    y: list
    info: DatasetInfo
    dataset: str
    what: str  # e.g. "the run's test split, 38 of 150 rows (seed 1337, test_size 0.25)"
    split: str  # "test" or "all"


def eval_rows(args: argparse.Namespace, run: dict | None) -> Rows:
    """The data set's rows to score: the run's test split when it is the run's data set."""
    dataset = shown = args.dataset
    if dataset is None:
        if run is None:
            raise ValueError(
                f"--dataset is needed: {args.model} has no metrics.json that says which data "
                "set it trained on"
            )
        dataset, shown = run.get("dataset_file") or run["dataset"], run["dataset"]
    same = run is not None and same_data(dataset, run)
    target = args.target if args.target is not None or not same else run.get("target")
    task = args.task if args.task is not None or not same else run.get("task")
    info, _ = open_dataset(dataset, target, task if is_file(dataset) else None)
    seed = args.seed if args.seed is not None else run["seed"] if same else DEFAULT_SEED
    test_size = run["test_size"] if same else 0.0
    X, y, X_test, y_test = split(info, seed, test_size)
    if X_test is not None:
        n = len(X) + len(X_test)
        what = f"the run's test split, {len(X_test)} of {n} rows (seed {seed}, "
        what += f"test_size {test_size:g})"
        return Rows(X_test, y_test, info, shown, what, "test")
    what = f"all {len(X)} rows" + (" (the run held none out: its training rows)" if same else "")
    return Rows(X, y, info, shown, what, "all")


def same_data(dataset: str, run: dict) -> bool:
    """True when `dataset` is the one the run trained on (for a file: the same file)."""
    if is_file(dataset):
        return same_file(dataset, run.get("dataset_file"))
    return dataset == run["dataset"]


# ---- scoring ----


def score(model: nn.Module, rows: Rows, run: dict | None) -> dict[str, Any]:
    """Loss and accuracy (per class too), or the regression errors, of `model` on the rows."""
    y = class_indices(model, rows) if rows.info.task == "classification" else rows.y
    nin = getattr(model, "nin", None)
    if nin is not None and nin != rows.info.n_features:
        raise ValueError(
            f"the model takes {nin} features per row, but {rows.dataset} has {rows.info.n_features}"
        )
    loss = run["loss_function"] if run and isinstance(run.get("loss_function"), str) else "auto"
    objective = Objective(loss, output_count(model, rows.X[0]), y)
    if rows.info.task == "regression" and objective.is_classification:
        raise ValueError(
            f"the model is a classifier ({objective.name}); {rows.dataset} is a regression data set"
        )
    with no_grad():
        try:
            outputs = [as_output(model(x), objective.n_outputs) for x in rows.X]
            value = objective.loss_value(outputs, objective.targets_for(y)).data
        except MATH_ERRORS:
            outputs, value = None, math.nan
    scores: dict[str, Any] = {
        "loss_function": objective.name,
        "loss": value if math.isfinite(value) else None,
        "rows": len(rows.X),
    }
    if outputs is None:
        return scores
    if objective.is_classification:
        scores.update(class_scores(objective, outputs, y, class_names(model, rows)))
    else:
        scores.update(regression_scores(outputs, y))
    return scores


def class_indices(model: nn.Module, rows: Rows) -> list[int]:
    """The rows' labels as the model's class indices: by name when both name their classes."""
    names = tuple(getattr(model, "class_names", ()))
    data_names = rows.info.class_names
    if not names or not rows.info.real or names == data_names:
        return rows.y
    index = {name: i for i, name in enumerate(names)}
    unknown = sorted({c for c in data_names if c not in index})
    if unknown:
        raise ValueError(
            f"{rows.dataset} has classes the model does not know: {', '.join(unknown)} "
            f"(the model's: {', '.join(names)})"
        )
    return [index[data_names[t]] for t in rows.y]


def class_names(model: nn.Module, rows: Rows) -> list[str]:
    names = getattr(model, "class_names", ()) or (rows.info.real and rows.info.class_names)
    return list(names or ())


def class_scores(objective: Objective, outputs: list, y: list, names: list[str]) -> dict:
    """Accuracy, the count of hits, and the accuracy per class (by name when known)."""
    predictions = [objective.predict(out) for out in outputs]
    truth = [(1 if t > 0 else 0) if objective.n_outputs == 1 else int(t) for t in y]
    hits = [p == t for p, t in zip(predictions, truth)]
    per_class = {}
    for k in sorted(set(truth)):
        mine = [h for h, t in zip(hits, truth) if t == k]
        name = names[k] if k < len(names) else f"class {k}"
        per_class[name] = sum(mine) / len(mine)
    return {"accuracy": sum(hits) / len(hits), "correct": sum(hits), "per_class": per_class}


def regression_scores(outputs: list, y: list) -> dict:
    """Root mean squared error and mean absolute error, in the target's units."""
    errors = [
        (out.data if not isinstance(out, list) else out[0].data) - float(t)
        for out, t in zip(outputs, y)
    ]
    rmse = math.sqrt(math.fsum(e * e for e in errors) / len(errors))
    return {"rmse": rmse, "mae": math.fsum(abs(e) for e in errors) / len(errors)}


# ---- what it says and writes ----


def report(model_path: str, model: nn.Module, rows: Rows, scores: dict) -> str:
    """The lines eval prints: the model, the rows, the loss, and accuracy or errors."""

    def value(x):
        return "n/a (not finite)" if x is None else f"{x:.6g}"

    lines = [
        f"model     {model_path}: {model_text(model)}, {len(model.parameters()):,} parameters",
        f"data      {rows.dataset} ({rows.info.task}): {rows.what}",
        f"loss      {value(scores['loss'])} ({scores['loss_function']} data loss)",
    ]
    if "accuracy" in scores:
        lines.append(
            f"accuracy  {scores['accuracy']:.1%} ({scores['correct']} of {scores['rows']})"
        )
        per_class = ", ".join(f"{name} {a:.1%}" for name, a in scores["per_class"].items())
        lines.append(f"per class {per_class}")
    if "rmse" in scores:
        lines.append(
            f"error     RMSE {scores['rmse']:.6g}, MAE {scores['mae']:.6g} (target's units)"
        )
    return "\n".join(lines)


def check_out(out: str | None) -> None:
    """--out must name a file in a folder that exists, before anything is scored."""
    if out is None:
        return
    if os.path.isdir(out):
        raise ValueError(f"--out {out} is a folder; give a file name such as scores.json")
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise ValueError(f"--out {out}: the folder {folder} does not exist")


def write_scores(out: str, model_path: str, rows: Rows, scores: dict) -> None:
    """The scores as JSON, written whole or not at all."""
    document = {
        "model": os.path.abspath(model_path),
        "dataset": rows.dataset,
        "split": rows.split,
        "rows_scored": rows.what,
        **scores,
    }
    try:
        write_atomic(out, json.dumps(finite(document), indent=1, allow_nan=False) + "\n")
    except OSError as error:
        raise ValueError(f"cannot write --out {out}: {error.strerror or error}") from None
