"""`gradstep train` run: settle the plan, claim the folder, train, write the files, summarize."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

from nn.recipes import Plan, make_plan
from nn.run_outputs import GRAPH_LIMIT, claim_folder, summary, write_outputs


def train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run `gradstep train`: settle the plan, claim the folder, train, write files, summarize."""
    import nn
    from nn.callbacks import RenderGraphs
    from nn.data import DATASETS, train_test_split
    from nn.train import evaluate, make_optimizer

    plan = make_plan(args, parser)
    out = claim_folder(args, parser)
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
    optimizer = make_optimizer(plan.optimizer, model.parameters(), plan.lr)
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

    metrics = write_outputs(out, plan, model, history, X, y, test, len(y_test or ()), started)
    summary(plan, model, history, test, out, metrics)
    if history.diverged:
        print(f"gradstep train: {history.message}", file=sys.stderr)
        return 1
    if history.stop_reason == "interrupted":
        return 130  # as a shell reports Ctrl-C; the files were still written
    return 0


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
