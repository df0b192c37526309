"""`gradstep train`: settle the plan, claim the folder, train, write the files, summarize.

A run's data flows down: plan (recipe + flags) → data → model and optimizer → `fit` →
output files and the summary. The data set is read (a CSV file checked line by line) and
split before the folder is claimed, so a bad file is a usage error that leaves nothing behind.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable

import nn
from nn import Sequential, Standardize
from nn.cli.datasets import is_file, open_dataset, split
from nn.cli.outputs import claim_folder, summary, write_outputs
from nn.cli.recipes import Plan, make_plan
from nn.data import DatasetInfo
from nn.optim import make_optimizer, make_schedule
from nn.train.callbacks import RenderGraphs

# The flags that only the command line has; every other flag is a setting of the plan.
CLI_ONLY = (
    "command",
    "run",
    "usage_error",
    "dataset",
    "target",
    "task",
    "render_every",
    "out",
    "force",
    "progress",
)


def train(args: argparse.Namespace, usage_error: Callable[[str], None]) -> int:
    """Run `gradstep train` with parsed flags; `usage_error` exits 2 with train's usage line."""
    settings = {k: v for k, v in vars(args).items() if k not in CLI_ONLY}
    try:
        info, target = open_dataset(args.dataset, args.target, args.task)
        from_file = info if is_file(args.dataset) else None  # else make_plan knows it by name
        plan = make_plan(args.dataset, info=from_file, target=target, **settings)
        X, y, X_test, y_test, scaler = load_data(plan, info)
        out = claim_folder(args.out, plan.name, args.force)
    except ValueError as error:
        usage_error(str(error))
    model = nn.MLP(
        plan.n_features,
        [*plan.hidden, plan.n_outputs],
        plan.activation,
        seed=plan.seed,
        init=plan.init,
    )
    # What is saved takes raw rows: the scaling fitted to the training rows, then the network.
    # The network trains on rows scaled once, up front, which is the same arithmetic.
    saved = Sequential(scaler, model, class_names=plan.class_names) if scaler else model
    optimizer = make_optimizer(plan.optimizer, model.parameters(), plan.lr)
    callbacks = []
    if args.render_every:
        callbacks.append(RenderGraphs(os.path.join(out, "graphs"), every=args.render_every))

    started = time.perf_counter()
    with warnings.catch_warnings():  # the CLI says it once, below, with the files written
        warnings.filterwarnings("ignore", "training diverged", RuntimeWarning)
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
            X_val=X_test,
            y_val=y_test,
        )
    test = None
    if X_test is not None:
        test = {"loss": history.val_loss, "accuracy": history.val_accuracy}
    frames = ["graphs/"] if any(cb.written for cb in callbacks) else []

    metrics = write_outputs(
        out, plan, model, history, X, y, test, len(y_test or ()), started, frames, saved=saved
    )
    summary(plan, saved, history, test, out, metrics)
    if history.diverged:
        print(f"gradstep train: {history.message}", file=sys.stderr)
        return 1
    if history.stop_reason == "interrupted":
        return 130  # as a shell reports Ctrl-C; the files were still written
    return 0


def load_data(plan: Plan, info: DatasetInfo) -> tuple:
    """The plan's data: (X, y, X_test, y_test, scaler), split as `gradstep eval` finds it again,
    and standardized with the training rows' Standardize (None when the plan does not scale)."""
    X, y, X_test, y_test = split(info, plan.seed, plan.test_size)
    if not plan.standardize:
        return X, y, X_test, y_test, None
    scaler = Standardize.fit(X)  # the training rows only: the test set must not leak into it
    X = [scaler(x) for x in X]
    X_test = [scaler(x) for x in X_test] if X_test is not None else None
    return X, y, X_test, y_test, scaler
