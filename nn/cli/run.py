"""`gradstep train`: settle the plan, load the data, claim the folder, train, write, summarize.

A run's data flows down: plan (recipe + flags) → data → model and optimizer → `fit` →
output files and the summary. Everything a flag can get wrong is checked before the folder
is claimed (a CSV file line by line, the split), so a usage error leaves nothing behind; once
training starts, the run's files are written whatever happens (a diverged run exits 1 with
its last good weights saved).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence

import nn
from nn import Sequential, Standardize
from nn.cli.datasets import is_file, open_dataset, split
from nn.cli.folder import claim_folder
from nn.cli.frames import GuardedFrames, frames_warning
from nn.cli.outputs import one_line, summary, write_outputs
from nn.cli.recipes import Plan, make_plan
from nn.data import DatasetInfo
from nn.optim import make_optimizer, make_schedule
from nn.train import FitState, Objective, output_count
from nn.train.lab import LabRecorder, write_lab

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
    "compile",
    "lab",
    "port",  # gradstep lab's
)


def train(args: argparse.Namespace, usage_error: Callable[[str], None]) -> int:
    """Run `gradstep train` with parsed flags; `usage_error` exits 2 with train's usage line."""
    plan, data, model, claim = settle(args, usage_error)
    try:
        return run(
            plan,
            data,
            model,
            claim.path,
            args.render_every,
            args.progress,
            compile=args.compile,
            lab=args.lab,
        )
    finally:
        claim.release()


def settle(args: argparse.Namespace, usage_error: Callable[[str], None]) -> tuple:
    """The run's plan, data, model and claimed folder; a bad flag calls `usage_error`."""
    settings = {k: v for k, v in vars(args).items() if k not in CLI_ONLY}
    try:
        info, target = open_dataset(args.dataset, args.target, args.task)
        from_file = info if is_file(args.dataset) else None  # else make_plan knows it by name
        plan = make_plan(args.dataset, info=from_file, target=target, **settings)
        data = load_data(plan, info)
        model = nn.MLP(
            plan.n_features,
            [*plan.hidden, plan.n_outputs],
            plan.activation,
            seed=plan.seed,
            init=plan.init,
        )
        claim = claim_folder(args.out, plan.name, args.force)
    except ValueError as error:
        usage_error(str(error))
    return plan, data, model, claim


def run(
    plan: Plan,
    data: tuple,
    model: nn.MLP,
    out: str,
    render_every: int,
    progress: bool | None,
    *,
    compile: bool = True,
    lab: bool = False,
    recorder: GuardedLab | None = None,
    extra: Sequence = (),
    command: str = "gradstep train",
) -> int:
    """Train as the plan says, write the files into `out`, print the summary; the exit status.

    With `lab`, a LabRecorder records the run and `lab/index.html` replays it. `recorder`:
    the one to record with instead of a new one (`gradstep lab`'s, which it serves live; its
    note, if any, goes into the summary); `extra`: callbacks called after the run's own
    (`gradstep lab`'s gate); `command`: the name its messages start with.
    """
    X, y, X_test, y_test, scaler = data
    # What is saved takes raw rows: the scaling fitted to the training rows, then the network.
    # The network trains on rows scaled once, up front, which is the same arithmetic.
    saved = Sequential(scaler, model, class_names=plan.class_names) if scaler else model
    optimizer = make_optimizer(plan.optimizer, model.parameters(), plan.lr)
    callbacks = []
    if render_every:
        objective = Objective(plan.loss, output_count(model, X[0]), y)
        warning = frames_warning(
            FitState(model, X, y, objective, None, plan.steps, None), render_every
        )
        if warning:
            print(f"{command}: {warning}", file=sys.stderr)
        callbacks.append(GuardedFrames(os.path.join(out, "graphs"), render_every))
    if recorder is None and lab:
        recorder = lab_recorder(plan, out, X_test, y_test)
    if recorder is not None:
        callbacks.append(recorder)

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
            callbacks=[*callbacks, *extra],
            l2=plan.l2,
            seed=plan.seed,
            progress=progress,
            X_val=X_test,
            y_val=y_test,
            compile="auto" if compile else False,  # an MLP trains compiled, recorded or not
        )
    test = None
    if X_test is not None:
        test = {"loss": history.val_loss, "accuracy": history.val_accuracy}

    files = ["graphs/"] if any(cb.written for cb in callbacks[:1] if render_every) else []
    notes = [cb.note for cb in callbacks[:1] if render_every and cb.note]
    pages = [("lab/index.html", recorder.write)] if lab and recorder is not None else []
    if recorder is not None and not lab and recorder.note:
        notes.append(recorder.note)  # no page to say it: the summary does
    try:
        metrics = write_outputs(
            out,
            plan,
            model,
            history,
            X,
            y,
            test,
            len(y_test or ()),
            started,
            files,
            notes,
            pages,
            saved=saved,
        )
    except (OSError, ValueError) as error:  # model.json could not be written: say so, no trace
        print(f"{command}: cannot write the run's files into {out}: {error}", file=sys.stderr)
        return 1
    summary(plan, saved, history, test, out, metrics)
    if history.diverged:
        print(f"{command}: {history.message}", file=sys.stderr)
        return 1
    if history.stop_reason == "interrupted":
        return 130  # as a shell reports Ctrl-C; the files were still written
    return 0


class GuardedLab(LabRecorder):
    """A LabRecorder whose failure costs the run nothing: it stops recording, with a note why."""

    note: str | None = None

    def wants_activations(self, step: int) -> bool:
        return self.note is None and super().wants_activations(step)

    @property
    def steps(self) -> list[dict]:
        """The steps shaped for the page; one that cannot be shaped stops the recording (the
        live server and the gate read this during the run: the page is lost, never the run)."""
        if self.note is None:
            try:
                return super().steps
            except Exception as error:
                self.note = f"recording stopped: a step could not be laid out: {one_line(error)}"
        return []

    def on_step_end(self, step: int, logs: dict) -> None:
        if self.note is None:
            try:
                super().on_step_end(step, logs)
            except Exception as error:  # the page is lost, never the run
                self.note = f"recording stopped at step {step}: {one_line(error)}"

    def on_train_end(self, history) -> None:
        if self.note is None:
            try:
                super().on_train_end(history)
            except Exception as error:
                self.note = f"recording failed at the end: {one_line(error)}"

    def write(self, path: str) -> None:
        """Write the page to `path` (OUT/lab/index.html); a ValueError if recording failed."""
        if self.note is not None:
            raise ValueError(self.note)
        write_lab(path, self)


def lab_recorder(plan: Plan, out: str, X_test: list | None, y_test: list | None) -> GuardedLab:
    """The recorder of `--lab`: the run's data set and folder name the page, the test part (if
    any) is its held-out set."""
    return GuardedLab(
        X_test,
        y_test,
        name=f"{plan.name}, {os.path.basename(os.path.normpath(out))}",
        class_names=list(plan.class_names) or None,
    )


def load_data(plan: Plan, info: DatasetInfo) -> tuple:
    """The plan's data: (X, y, X_test, y_test, scaler), split as `gradstep eval` finds it again,
    and standardized with the training rows' Standardize (None when the plan does not scale).

    A --test-size that leaves a part (or, for classes, a class in a part) empty is a ValueError.
    """
    stratify = info.task == "classification"
    try:
        X, y, X_test, y_test = split(info, plan.seed, plan.test_size)
    except ValueError:
        raise ValueError(bad_split(plan, info.load(plan.seed)[1], stratify)) from None
    if stratify and y_test is not None and set(y) != set(y_test):  # a class missing in a part
        raise ValueError(bad_split(plan, y + y_test, stratify))
    if not plan.standardize:
        return X, y, X_test, y_test, None
    scaler = Standardize.fit(X)  # the training rows only: the test set must not leak into it
    X = [scaler(x) for x in X]
    X_test = [scaler(x) for x in X_test] if X_test is not None else None
    return X, y, X_test, y_test, scaler


def bad_split(plan: Plan, y: list, stratify: bool) -> str:
    """Why --test-size cannot split the data, and the fractions that can."""
    counts = [y.count(label) for label in set(y)] if stratify else [len(y)]
    smallest = min(counts)
    part = "a class with no sample" if stratify else "no sample"
    what = f"its smallest class has {smallest} samples" if stratify else f"{len(y)} samples"
    if smallest < 2:
        return f"--test-size {plan.test_size:g} cannot split {plan.name}: {what}; use 0"
    lo = math.ceil(1000 / smallest) / 1000
    hi = math.floor(1000 * (1 - 1 / smallest)) / 1000
    return (
        f"--test-size {plan.test_size:g} leaves {part} in the training or the test part "
        f"({plan.name}: {what}); use a fraction from about {lo:g} to {hi:g}, "
        "or 0 for no test part"
    )
