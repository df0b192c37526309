"""The training loop's parts: which samples a step sees, one step, and when to stop.

One step is the loop a learner knows: forward pass over the batch, loss (plus the L2 term),
backward pass, optimizer update. Around it: the batch it sees (`Batches`), the checks that
stop a run (target loss reached, divergence, a callback) and the weights kept when it stops.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import nn.losses
from engine import Value
from nn.train.history import History
from nn.train.objective import Objective, as_output, sample_loss

# What the engine raises when a number leaves float range (it raises rather than return inf).
MATH_ERRORS = (OverflowError, ZeroDivisionError, ValueError)


@dataclass
class FitState:
    """What `fit` hands to each callback's `on_train_begin`."""

    model: Any
    X: list[list[float]]
    y: list
    objective: Objective
    optimizer: Any
    steps: int
    history: History

    def sample_loss(self, i: int = 0, skip_layers: int = 0) -> Value:
        """The data loss of sample `i` alone: a small graph of its own (no L2 term)."""
        return sample_loss(
            self.model, self.objective, self.X[i], self.objective.targets[i], skip_layers
        )


class Batches:
    """The sample indices of each step: all of them, or shuffled minibatches in which every
    sample is seen once per epoch (shuffled with a generator of its own, seeded by `seed`)."""

    def __init__(self, n: int, batch_size: int | None, seed: int) -> None:
        self.n = n
        self.size = None if batch_size is None or batch_size >= n else batch_size
        self.rng = random.Random(seed)
        self.pending: list[int] = []

    def next(self) -> Sequence[int]:
        if self.size is None:
            return range(self.n)
        if len(self.pending) < self.size:
            fresh = list(range(self.n))
            self.rng.shuffle(fresh)
            self.pending += fresh
        batch, self.pending = self.pending[: self.size], self.pending[self.size :]
        return batch


class Diverged(Exception):
    """A step whose loss or update left the finite numbers; `str()` says what happened."""


@dataclass
class Loop:
    """Everything one run's steps share, and the steps themselves."""

    model: Any
    X: list[list[float]]
    y: list
    objective: Objective
    optimizer: Any
    set_lr: Callable[[int], None] | None
    schedule: Any
    l2: float
    batches: Batches
    target_loss: float | None
    history: History
    callbacks: list
    compiled: Any = None  # a CompiledModel (nn.train.compiled) to run the model, or None

    def __post_init__(self) -> None:
        self.params = list(self.model.parameters())
        self.before = self.last_good = weights(self.params)  # last_good: where the last
        # recorded loss was measured; before: where the current step started

    def run(self, steps: int) -> None:
        """Take up to `steps` steps; the history says why it stopped. Ctrl-C stops cleanly."""
        history = self.history
        history.stop_reason = "steps"
        try:
            for step in range(steps):
                if self.step(step):
                    return
            history.message = f"ran all {steps} steps"
        except KeyboardInterrupt:
            # Stop between consistent states: the weights the interrupted step started from.
            restore(self.params, self.before)
            history.stop_reason = "interrupted"
            history.message = f"interrupted at step {len(history.loss)}"

    def step(self, step: int) -> bool:
        """One step: forward, loss, backward, update. Returns True when training must stop."""
        if self.set_lr is not None:
            self.set_lr(step)
        lr = float(self.optimizer.lr)
        batch = self.batches.next()
        self.before = weights(self.params)
        try:
            outputs, total = self.forward(batch)
            if self.target_reached(step, total.data, outputs, batch, lr):
                return True
            self.backward_and_update(total)
        except (Diverged, *MATH_ERRORS) as error:
            restore(self.params, self.last_good if step > 0 else self.before)
            diverged(self.history, step, str(error), lr)
            return True
        self.history.record(total.data, self.accuracy(outputs, batch), lr)
        self.last_good = self.before
        bad = next((p for p in self.params if not math.isfinite(p.data)), None)
        if bad is not None:  # the loss was fine, the update was not: keep its weights
            restore(self.params, self.before)
            what = f"its update made {bad.label or 'a weight'} {bad.data!r}"
            diverged(self.history, step, what, lr)
            return True
        if hasattr(self.schedule, "step"):
            self.schedule.step()
        return self.callback_stops(step)

    def forward(self, batch: Sequence[int]) -> tuple[list, Value]:
        """The batch's outputs and its loss (mean data loss + l2·Σp²) as one graph."""
        n_outputs, targets = self.objective.n_outputs, self.objective.targets
        if self.compiled is not None:
            outputs = self.compiled.forward(batch)
        else:
            outputs = [as_output(self.model(self.X[i]), n_outputs) for i in batch]
        total = self.objective.loss_value(outputs, [targets[i] for i in batch])
        if self.l2:
            total = total + self.l2 * nn.losses.l2(self.params)
        if not math.isfinite(total.data):
            raise Diverged(f"the loss became {total.data!r}")
        return outputs, total

    def backward_and_update(self, total: Value) -> None:
        self.optimizer.zero_grad()
        total.backward()
        if self.compiled is not None:
            self.compiled.backward()  # the loss's grads at the outputs, through the model
        self.optimizer.step()

    def accuracy(self, outputs: list, batch: Sequence[int]) -> float | None:
        return self.objective.accuracy(outputs, [self.y[i] for i in batch])

    def target_reached(self, step: int, loss: float, outputs, batch, lr: float) -> bool:
        if self.target_loss is None or loss > self.target_loss:
            return False
        history = self.history
        history.record(loss, self.accuracy(outputs, batch), lr)
        history.stop_reason = "target_loss"
        history.message = (
            f"reached the target loss {self.target_loss:g} at step {step} (loss {loss:.6g})"
        )
        self.callback_stops(step)
        return True

    def callback_stops(self, step: int) -> bool:
        """Tell every callback about the step; True if one of them stops training."""
        logs = self.history.logs(step)
        stop = False
        for cb in self.callbacks:
            stop = bool(cb.on_step_end(step, logs)) or stop
        if stop and self.history.stop_reason == "steps":
            stopper = next((cb for cb in self.callbacks if getattr(cb, "stopped", False)), None)
            self.history.stop_reason = getattr(stopper, "stop_reason", "callback")
            self.history.message = getattr(stopper, "message", "") or "a callback stopped training"
        return stop


def diverged(history: History, step: int, what: str, lr: float) -> None:
    """Say where and why training diverged, which weights the model now has, and what to try."""
    history.stop_reason = "diverged"
    if not history.loss:
        kept = "The weights are the initial ones"
    else:
        kept = f"Restored the weights of step {len(history.loss) - 1} (loss {history.loss[-1]:.6g})"
    history.message = (
        f"training diverged at step {step}: {what}. {kept}. "
        f"Try a smaller learning rate than {lr:g} (e.g. {lr / 10:g})."
    )
    warnings.warn(history.message, RuntimeWarning, stacklevel=5)  # the caller of fit


def weights(params: list[Value]) -> list[float]:
    return [p.data for p in params]


def restore(params: list[Value], values: list[float]) -> None:
    for p, w in zip(params, values, strict=True):
        p.data = w
