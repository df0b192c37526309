"""`gradstep train`: train an MLP on a named data set and write what happened into a folder.

With no flags it is micrograd's demo: moons (100 points), MLP 2-16-16-1 with ReLU, hinge loss +
1e-4·L2, SGD with the learning rate going linearly from 1.0 to 0.1 over 100 steps. The folder
gets metrics.json, model.json, loss.png, decision_boundary.png (2-D data), fit.png (1-D
regression) and graph.svg (the last backward pass for one sample).

    gradstep train                                  # micrograd's demo
    gradstep train --dataset iris                   # held-out test split, Adam, cross-entropy
    gradstep train --dataset spirals --hidden 32,32 --steps 300 --out runs/spirals
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

LOSS_CHOICES = ("hinge", "bce", "cross_entropy", "mse", "l1", "huber")
OPTIMIZER_CHOICES = ("sgd", "adam", "adamw")
SCHEDULE_CHOICES = ("linear", "cosine", "constant")
ACTIVATION_CHOICES = ("relu", "tanh", "sigmoid", "linear")
INIT_CHOICES = ("micrograd", "scaled")
GRAPH_LIMIT = 1000  # Values; a bigger one-sample graph takes dot long and nobody can read it


@dataclass(frozen=True)
class Recipe:
    """The settings a data set trains with when the command line does not say otherwise."""

    hidden: tuple[int, ...] = (16, 16)
    activation: str = "relu"
    loss: str = "hinge"
    l2: float = 1e-4
    optimizer: str = "sgd"
    lr: float = 1.0
    schedule: str = "linear"
    steps: int = 100
    batch_size: int | None = None
    standardize: bool = False
    init: str = "micrograd"


MICROGRAD = Recipe()  # micrograd's demo, the default of `gradstep train`
RECIPES: dict[str, Recipe] = {
    "moons": MICROGRAD,
    "circles": MICROGRAD,
    "xor": MICROGRAD,
    "spirals": Recipe(hidden=(16, 16), loss="cross_entropy", l2=0.0, optimizer="adam", lr=0.02,
                      schedule="cosine", steps=500, batch_size=32, init="scaled"),
    "blobs": Recipe(hidden=(16,), loss="cross_entropy", l2=0.0, optimizer="adam", lr=0.05,
                    schedule="constant", steps=100, init="scaled"),
    "sine": Recipe(hidden=(16, 16), activation="tanh", loss="mse", l2=0.0, optimizer="adam",
                   lr=0.02, schedule="cosine", steps=500, batch_size=20, init="scaled"),
    "iris": Recipe(hidden=(16,), loss="cross_entropy", l2=0.0, optimizer="adam", lr=0.01,
                   schedule="constant", steps=200, standardize=True, init="scaled"),
    "digits": Recipe(hidden=(32,), loss="cross_entropy", l2=0.0, optimizer="adam", lr=0.01,
                     schedule="cosine", steps=400, batch_size=32, standardize=True,
                     init="scaled"),
}


def build_parser() -> argparse.ArgumentParser:
    from nn.data import DATASETS

    parser = argparse.ArgumentParser(
        prog="gradstep",
        description="gradstep: a scalar autograd engine and a tiny neural-network library.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    train = commands.add_parser(
        "train",
        help="train an MLP on a data set and write metrics, plots, the model and a graph",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
        epilog=_recipes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--dataset", default="moons", choices=list(DATASETS),
                       help="data set to train on")
    train.add_argument("--hidden", type=_hidden, default=None, metavar="SIZES",
                       help="hidden layer sizes, comma-separated (e.g. 16,16); '' or 0 for none "
                            "(default: per data set; moons 16,16)")
    train.add_argument("--activation", choices=ACTIVATION_CHOICES, default=None,
                       help="activation of hidden layers (default relu; tanh for sine)")
    train.add_argument("--loss", choices=LOSS_CHOICES, default=None,
                       help="loss (default: hinge for two classes, cross_entropy for more, "
                            "mse for regression)")
    train.add_argument("--l2", type=_non_negative, default=None,
                       help="weight of the L2 penalty on the parameters (default 1e-4 with "
                            "the hinge loss, else 0)")
    train.add_argument("--optimizer", choices=OPTIMIZER_CHOICES, default=None,
                       help="optimizer (default sgd for the micrograd demo, else adam)")
    train.add_argument("--lr", type=_positive, default=None,
                       help="(initial) learning rate (default: per data set; moons 1.0)")
    train.add_argument("--schedule", choices=SCHEDULE_CHOICES, default=None,
                       help="learning-rate schedule: linear decays to lr/10 (micrograd's), "
                            "cosine to 0 over the steps")
    train.add_argument("--steps", type=_count, default=None,
                       help="number of optimizer steps (default: per data set; moons 100)")
    train.add_argument("--batch-size", type=_count, default=None,
                       help="samples per step; 0 for the whole training set (default: per "
                            "data set, see below)")
    train.add_argument("--init", choices=INIT_CHOICES, default=None,
                       help="initial weights: micrograd's w ~ U(-1, 1), b = 0 (default for "
                            "moons, circles, xor) or scaled, U(±1/sqrt(fan-in)) as PyTorch")
    train.add_argument("--seed", type=int, default=1337,
                       help="seed of the data, the initial weights, the split and the batches")
    train.add_argument("--test-size", type=_fraction, default=None,
                       help="fraction held out for testing; 0 for none (default 0.25 for the "
                            "real data sets iris and digits, 0 for generated ones)")
    train.add_argument("--render-every", type=_count, default=0, metavar="K",
                       help="every K steps, draw one sample's backward pass into "
                            "OUT/graphs/step_XXXX.svg (0: never)")
    train.add_argument("--out", default=None, metavar="DIR",
                       help="output folder (default: a new folder runs/<dataset>-<time>)")
    train.add_argument("--force", action="store_true",
                       help="write into --out even if it holds files (they are replaced)")
    train.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="show a progress bar on stderr (default: only in a terminal)")
    return parser


def _recipes_text() -> str:
    lines = ["defaults per data set (any flag overrides them):"]
    for name, r in RECIPES.items():
        l2 = f" + {r.l2:g}·L2" if r.l2 else ""
        batch = f"batches of {r.batch_size}" if r.batch_size else "full batch"
        hidden = ",".join(map(str, r.hidden)) or "none"
        lines.append(f"  {name:<8} hidden {hidden} {r.activation}, {r.loss}{l2}, {r.optimizer} "
                     f"lr {r.lr:g} {r.schedule}, {r.steps} steps, {batch}"
                     + (", standardized" if r.standardize else ""))
    lines.append("iris and digits hold out --test-size 0.25 for testing; --seed 1337 as micrograd.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `gradstep` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "train":
        return train(args, parser)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse catches it
    return 2


@dataclass
class Plan:
    """Everything a run will do, settled from the flags and the data set's recipe."""

    dataset: str
    task: str
    hidden: list[int]
    activation: str
    loss: str
    l2: float
    optimizer: str
    lr: float
    schedule: str
    steps: int
    batch_size: int | None
    seed: int
    test_size: float
    standardize: bool
    init: str
    n_features: int
    n_outputs: int


def make_plan(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Plan:
    from nn.data import DATASETS

    info = DATASETS[args.dataset]
    base = RECIPES.get(args.dataset, MICROGRAD)
    if info.task == "regression" and args.dataset not in RECIPES:
        base = replace(base, loss="mse", l2=0.0, optimizer="adam", lr=0.01, schedule="constant")
    recipe = replace(
        base,
        hidden=tuple(args.hidden) if args.hidden is not None else base.hidden,
        activation=args.activation or base.activation,
        optimizer=args.optimizer or base.optimizer,
        steps=args.steps if args.steps is not None else base.steps,
    )
    loss = args.loss or recipe.loss
    if args.loss and args.loss != recipe.loss and info.task == "classification":
        # A different loss keeps the recipe's optimizer but not its hinge-only L2 default.
        recipe = replace(recipe, l2=0.0 if recipe.loss == "hinge" else recipe.l2)
    if info.task == "regression" and loss not in ("mse", "l1", "huber"):
        parser.error(f"--loss {loss} is for classification; {args.dataset} is a regression "
                     "data set: use mse, l1 or huber")
    if info.task == "classification":
        if loss in ("hinge", "bce") and info.n_classes != 2:
            parser.error(f"--loss {loss} needs two classes; {args.dataset} has {info.n_classes}: "
                         "use cross_entropy")
        if loss in ("mse", "l1", "huber"):
            parser.error(f"--loss {loss} is for regression; {args.dataset} is a classification "
                         "data set: use hinge, bce or cross_entropy")
    if args.optimizer and args.optimizer != base.optimizer and args.lr is None:
        lr = 0.1 if args.optimizer == "sgd" else 0.01  # the recipe's lr suits its own optimizer
    else:
        lr = args.lr if args.lr is not None else recipe.lr
    if args.batch_size is None:
        batch_size = recipe.batch_size
    else:
        batch_size = args.batch_size or None
    if args.test_size is None:
        test_size = 0.25 if info.real else 0.0
    else:
        test_size = args.test_size
    if info.task == "regression":
        n_outputs = 1
    elif loss in ("hinge", "bce"):
        n_outputs = 1
    else:
        n_outputs = info.n_classes
    return Plan(
        dataset=args.dataset,
        task=info.task,
        hidden=list(recipe.hidden),
        activation=recipe.activation,
        loss=loss,
        l2=args.l2 if args.l2 is not None else recipe.l2,
        optimizer=recipe.optimizer,
        lr=lr,
        schedule=args.schedule or recipe.schedule,
        steps=recipe.steps,
        batch_size=batch_size,
        seed=args.seed,
        test_size=test_size,
        standardize=recipe.standardize,
        init=args.init or recipe.init,
        n_features=info.n_features,
        n_outputs=n_outputs,
    )


def train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run `gradstep train`: settle the plan, claim the folder, train, write files, summarize."""
    import nn
    from nn.callbacks import RenderGraphs
    from nn.data import DATASETS, train_test_split
    from nn.train import evaluate

    plan = make_plan(args, parser)
    out = _claim_folder(args, parser)
    info = DATASETS[plan.dataset]
    X, y = info.load(plan.seed)
    X_test = y_test = None
    if plan.test_size:
        X, X_test, y, y_test = train_test_split(
            X, y, test_size=plan.test_size, seed=plan.seed,
            stratify=info.task == "classification",
        )
    if plan.standardize:
        scale = _scaler(X)
        X = scale(X)
        X_test = scale(X_test) if X_test is not None else None

    model = nn.MLP(plan.n_features, [*plan.hidden, plan.n_outputs], plan.activation,
                   seed=plan.seed, init=plan.init)
    optimizer = _optimizer(plan, model.parameters())
    callbacks = []
    if args.render_every:
        callbacks.append(RenderGraphs(os.path.join(out, "graphs"), every=args.render_every,
                                      max_nodes=GRAPH_LIMIT))

    started = time.perf_counter()
    history = nn.fit(
        model, X, y,
        loss=plan.loss,
        optimizer=optimizer,
        steps=plan.steps,
        batch_size=plan.batch_size,
        schedule=_schedule(plan, optimizer),
        callbacks=callbacks,
        l2=plan.l2,
        seed=plan.seed,
        progress=args.progress,
    )
    test = evaluate(model, X_test, y_test, plan.loss) if X_test is not None else None

    metrics = _write_outputs(out, plan, model, history, X, y, test, len(y_test or ()), started)
    _summary(plan, model, history, test, out, metrics)
    if history.diverged:
        print(f"gradstep train: {history.message}", file=sys.stderr)
        return 1
    if history.stop_reason == "interrupted":
        return 130  # as a shell reports Ctrl-C; the files were still written
    return 0


# ---- pieces of a run ----


def _optimizer(plan: Plan, params: list):
    import nn.optim

    cls = {"sgd": nn.optim.SGD, "adam": nn.optim.Adam, "adamw": nn.optim.AdamW}[plan.optimizer]
    return cls(params, lr=plan.lr)


def _schedule(plan: Plan, optimizer):
    """The plan's learning-rate schedule (None: keep the optimizer's lr)."""
    import nn.optim

    steps = max(plan.steps, 1)
    if plan.schedule == "linear":  # micrograd's 1.0 - 0.9 * k / 100
        return nn.optim.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=steps)
    if plan.schedule == "cosine":
        return nn.optim.CosineAnnealingLR(optimizer, T_max=steps)
    return None


def _scaler(X: list[list[float]]):
    """Standardize with the training set's mean and std (the test set must not leak into them)."""
    n = len(X)
    stats = []
    for column in zip(*X, strict=True):
        mean = math.fsum(column) / n
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in column) / n)
        stats.append((mean, 1.0 / std if std > 0.0 else 0.0))

    def scale(rows: list[list[float]]) -> list[list[float]]:
        return [[(v - m) * s for v, (m, s) in zip(row, stats, strict=True)] for row in rows]

    return scale


def _claim_folder(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    """The output folder, created now: an existing non-empty one only with --force."""
    if args.out is not None:
        out = args.out
        if os.path.exists(out) and not os.path.isdir(out):
            parser.error(f"--out {out} exists and is not a folder")
        if os.path.isdir(out) and os.listdir(out) and not args.force:
            parser.error(f"output folder {out} exists and is not empty; choose another --out, "
                         "or pass --force to replace the files in it")
        os.makedirs(out, exist_ok=True)
        return out
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = os.path.join("runs", f"{args.dataset}-{stamp}")
    os.makedirs("runs", exist_ok=True)
    for k in range(1, 1000):
        out = base if k == 1 else f"{base}-{k}"
        try:
            os.mkdir(out)  # atomic: two runs started in the same second get different folders
            return out
        except FileExistsError:
            continue
    parser.error(f"could not find a free folder name like {base}")
    return ""  # pragma: no cover


def _write_outputs(out, plan, model, history, X, y, test, n_test, started) -> dict[str, Any]:
    from engine.files import write_atomic
    from nn import plots
    from nn.callbacks import render_sample_graph
    from nn.train import FitState, Objective, output_count

    written = []
    model.save(os.path.join(out, "model.json"))
    written.append("model.json")
    title = f"{plan.dataset}: MLP {_shape(plan)}, {plan.loss}, {plan.optimizer}"
    plots.loss_curves(history, os.path.join(out, "loss.png"), title=title)
    written.append("loss.png")
    if plan.n_features == 2 and plan.task == "classification":
        from nn.data import DATASETS

        plots.decision_boundary(model, X, y, os.path.join(out, "decision_boundary.png"),
                                title=title, class_names=DATASETS[plan.dataset].class_names)
        written.append("decision_boundary.png")
    if plan.n_features == 1 and plan.task == "regression":
        plots.regression_fit(model, X, y, os.path.join(out, "fit.png"), title=title)
        written.append("fit.png")

    objective = Objective(plan.loss, output_count(model, X[0]), y)
    state = FitState(model, X, y, objective, None, plan.steps, history)
    graph_note = None
    try:
        drawn = render_sample_graph(model, state.sample_loss, 0, os.path.join(out, "graph.svg"),
                                    max_nodes=GRAPH_LIMIT)
        written.append("graph.svg")
        if drawn.skipped_layers:
            graph_note = (f"graph.svg starts after layer {drawn.skipped_layers}: the whole "
                          f"one-sample graph has more than {GRAPH_LIMIT} Values")
    except ValueError as error:
        graph_note = f"graph.svg not drawn: {error}"

    metrics = {
        "dataset": plan.dataset,
        "task": plan.task,
        "n_train": len(X),
        "n_test": n_test,
        "model": {"nin": plan.n_features, "nouts": [*plan.hidden, plan.n_outputs],
                  "activation": plan.activation, "shape": _shape(plan),
                  "parameters": len(model.parameters())},
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
    text = json.dumps(_finite(metrics), indent=1, allow_nan=False) + "\n"
    write_atomic(os.path.join(out, "metrics.json"), text)
    return metrics


def _summary(plan, model, history, test, out, metrics) -> None:
    def pct(a):
        return "n/a" if a is None else f"{a:.1%}"

    lines = [
        f"dataset   {plan.dataset} ({plan.task})",
        f"model     MLP {_shape(plan)}, {plan.activation}, {len(model.parameters())} parameters",
        f"training  {plan.loss}" + (f" + {plan.l2:g}·L2" if plan.l2 else "")
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


def _shape(plan: Plan) -> str:
    return "-".join(str(n) for n in [plan.n_features, *plan.hidden, plan.n_outputs])


def _finite(x):
    """NaN/inf become None, so metrics.json stays valid JSON."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


# ---- argument types: a bad value gets argparse's error (exit 2) naming what is allowed ----


def _hidden(text: str) -> list[int]:
    text = text.strip()
    if text in ("", "0"):
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of layer sizes such as 16,16"
        ) from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be >= 1, got {text!r}")
    return sizes


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {n}")
    return n


def _number(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return x


def _positive(text: str) -> float:
    x = _number(text)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return x


def _non_negative(text: str) -> float:
    x = _number(text)
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return x


def _fraction(text: str) -> float:
    x = _number(text)
    if not 0.0 <= x < 1.0:
        raise argparse.ArgumentTypeError(f"must be a fraction in [0, 1), got {text!r}")
    return x


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
