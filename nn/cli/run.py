"""`gradstep train`: settle the plan, claim the folder, train, write the files, summarize.

A run's data flows down: plan (recipe + flags) → data → model and optimizer → `fit` →
output files and the summary.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable

import nn
from nn.cli.outputs import claim_folder, summary, write_outputs
from nn.cli.recipes import Plan, make_plan
from nn.data import DATASETS, train_test_split
from nn.optim import make_optimizer, make_schedule
from nn.train import evaluate
from nn.train.callbacks import RenderGraphs

# The flags that only the command line has; every other flag is a setting of the plan.
CLI_ONLY = (
    "command",
    "run",
    "usage_error",
    "dataset",
    "render_every",
    "out",
    "force",
    "progress",
    "compile",
)


def train(args: argparse.Namespace, usage_error: Callable[[str], None]) -> int:
    """Run `gradstep train` with parsed flags; `usage_error` exits 2 with train's usage line."""
    settings = {k: v for k, v in vars(args).items() if k not in CLI_ONLY}
    try:
        plan = make_plan(args.dataset, **settings)
        out = claim_folder(args.out, args.dataset, args.force)
    except ValueError as error:
        usage_error(str(error))
    X, y, X_test, y_test = load_data(plan)
    model = nn.MLP(
        plan.n_features,
        [*plan.hidden, plan.n_outputs],
        plan.activation,
        seed=plan.seed,
        init=plan.init,
    )
    optimizer = make_optimizer(plan.optimizer, model.parameters(), plan.lr)
    callbacks = []
    if args.render_every:
        callbacks.append(RenderGraphs(os.path.join(out, "graphs"), every=args.render_every))

    started = time.perf_counter()
    history = nn.fit(
        model,
        X,
        y,
        loss=plan.loss,
        optimizer=optimizer,
        steps=plan.steps,
        batch_size=plan.batch_size,
        schedule=make_schedule(plan.schedule, optimizer, plan.steps),
        callbacks=callbacks,
        l2=plan.l2,
        seed=plan.seed,
        progress=args.progress,
        compile="auto" if args.compile else False,
    )
    test = evaluate(model, X_test, y_test, plan.loss) if X_test is not None else None

    metrics = write_outputs(out, plan, model, history, X, y, test, len(y_test or ()), started)
    summary(plan, model, history, test, out, metrics)
    if history.diverged:
        print(f"gradstep train: {history.message}", file=sys.stderr)
        return 1
    if history.stop_reason == "interrupted":
        return 130  # as a shell reports Ctrl-C; the files were still written
    return 0


def load_data(plan: Plan) -> tuple[list, list, list | None, list | None]:
    """The plan's data set: (X, y, X_test, y_test), split and standardized as the plan says."""
    info = DATASETS[plan.dataset]
    X, y = info.load(plan.seed)
    X_test = y_test = None
    if plan.test_size:
        X, X_test, y, y_test = train_test_split(
            X,
            y,
            test_size=plan.test_size,
            seed=plan.seed,
            stratify=info.task == "classification",
        )
    if plan.standardize:
        scale = _scaler(X)
        X = scale(X)
        X_test = scale(X_test) if X_test is not None else None
    return X, y, X_test, y_test


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
