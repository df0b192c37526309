"""The training loop's parts: which samples a step sees, one step, and when to stop.

One step is the loop a learner knows: forward pass over the batch, loss (plus the L2 term),
backward pass, optimizer update. Around it: the batch it sees (`Batches`), the checks that
stop a run (target loss reached, divergence, a callback) and the weights kept when it stops.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import nn.losses
from engine import Value
from nn.optim import SGD
from nn.train.history import History
from nn.train.objective import Objective, as_output, sample_loss

# What the engine raises when a number leaves float range (it raises rather than return inf).
# A ValueError is not among them: from a loss or a callback it is a bug to report, not a
# divergence to hide (the loss of NaN outputs, e.g. log(nan), is told apart in `loss_of`).
MATH_ERRORS = (OverflowError, ZeroDivisionError)


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
    # How a compiled run scores rows without a graph (`CompiledModel.outputs`: eager's
    # numbers, faster); None when the model runs eagerly. See `nn.train.scoring`.
    compiled_outputs: Callable[[list[list[float]]], list] | None = None

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
        self.wanting = [cb.wants_activations for cb in self.callbacks if wants(cb)]

    def run(self, steps: int) -> None:
        """Take up to `steps` steps; the history says why it stopped. Ctrl-C stops cleanly."""
        for _ in self.stages(steps):
            pass

    def stages(self, steps: int, update: Callable[[], Any] | None = None) -> Iterator[tuple]:
        """The run as its stages, each (kind, what it computed): per step 'forward', 'loss',
        'backward', 'update' (fewer when it stops early), then ('stop', the history's stop reason
        if it stops here, else None). `update()` replaces `optimizer.step()` if given; what it
        returns is the update stage's."""
        history = self.history
        history.stop_reason = "steps"
        try:
            for step in range(steps):
                if (yield from self.step(step, update)):
                    yield "stop", history.stop_reason
                    return
                if step < steps - 1:
                    yield "stop", None
            history.message = f"ran all {steps} steps"
            yield "stop", "steps"
        except KeyboardInterrupt:
            # Stop between consistent states: the weights the interrupted step started from.
            restore(self.params, self.before)
            history.stop_reason = "interrupted"
            history.message = f"interrupted at step {len(history.loss)}"
            yield "stop", "interrupted"
        except Exception:
            restore(self.params, self.before)  # any other error: the weights the step started from
            raise

    def step(self, step: int, update: Callable[[], Any] | None = None) -> Generator:
        """One step, its stages yielded: forward, loss, backward, update. Returns True when
        training must stop."""
        if self.set_lr is not None:
            self.set_lr(step)
        lr = float(self.optimizer.lr)
        batch = self.batches.next()
        self.before = weights(self.params)
        observe = any(wanted(step) for wanted in self.wanting)
        try:
            outputs, total, activations = yield from self.forward(batch, observe)
            if self.target_reached(step, total.data, outputs, batch, lr, activations):
                return True
            yield from self.backward_and_update(total, update)
        except (Diverged, *MATH_ERRORS) as error:
            restore(self.params, self.last_good if step > 0 else self.before)
            diverged(self.history, step, str(error), lr, self.l2, self.params, self.optimizer)
            return True
        self.history.record(total.data, self.accuracy(outputs, batch), lr)
        self.last_good = self.before
        bad = next((p for p in self.params if not math.isfinite(p.data)), None)
        if bad is not None:  # the loss was fine, the update was not: keep its weights
            restore(self.params, self.before)
            what = f"its update made {bad.label or 'a weight'} {bad.data!r}"
            diverged(self.history, step, what, lr, self.l2, self.params, self.optimizer)
            return True
        if hasattr(self.schedule, "step"):
            self.schedule.step()
        return self.callback_stops(step, batch, outputs, activations)

    def forward(self, batch: Sequence[int], observe: bool = False) -> Generator:
        """The batch's outputs and its loss (mean data loss + l2·Σp²) as one graph; yields the
        'forward' (batch, outputs) and 'loss' (data loss, L2 term or None, loss) stages. With
        `observe`, also every neuron's output per sample (see `eager_forward`), else None."""
        n_outputs, targets = self.objective.n_outputs, self.objective.targets
        if self.compiled is not None:
            outputs, activations = self.compiled.forward(batch, observe)
        else:
            outputs, activations = eager_forward(self.model, self.X, batch, n_outputs, observe)
        yield "forward", (batch, outputs)
        total = data = loss_of(self.objective, outputs, [targets[i] for i in batch])
        penalty = self.l2 * nn.losses.l2(self.params) if self.l2 else None
        if penalty is not None:
            total = total + penalty
        yield "loss", (data, penalty, total)
        if not math.isfinite(total.data):
            raise Diverged(f"the loss became {total.data!r}")
        return outputs, total, activations

    def backward_and_update(self, total: Value, update: Callable[[], Any] | None) -> Generator:
        self.optimizer.zero_grad()
        total.backward()
        if self.compiled is not None:
            self.compiled.backward()  # the loss's grads at the outputs, through the model
        yield "backward", total
        yield "update", update() if update is not None else self.optimizer.step()

    def accuracy(self, outputs: list, batch: Sequence[int]) -> float | None:
        return self.objective.accuracy(outputs, [self.y[i] for i in batch])

    def target_reached(
        self, step: int, loss: float, outputs, batch, lr: float, activations=None
    ) -> bool:
        if self.target_loss is None or loss > self.target_loss:
            return False
        history = self.history
        history.record(loss, self.accuracy(outputs, batch), lr)
        history.stop_reason = "target_loss"
        history.message = (
            f"reached the target loss {self.target_loss:g} at step {step} (loss {loss:.6g})"
        )
        self.callback_stops(step, batch, outputs, activations)
        return True

    def callback_stops(
        self, step: int, batch: Sequence[int] = (), outputs: list = (), activations=None
    ) -> bool:
        """Tell every callback about the step; True if one of them stops training."""
        logs = self.history.logs(step)
        logs["batch"], logs["outputs"], logs["activations"] = batch, outputs, activations
        stop = False
        for cb in self.callbacks:
            stop = bool(cb.on_step_end(step, logs)) or stop
        if stop and self.history.stop_reason == "steps":
            stopper = next((cb for cb in self.callbacks if getattr(cb, "stopped", False)), None)
            self.history.stop_reason = getattr(stopper, "stop_reason", "callback")
            self.history.message = getattr(stopper, "message", "") or "a callback stopped training"
        return stop


def wants(callback: Any) -> bool:
    """Whether a callback may ask for a step's activations (it has `wants_activations`)."""
    return callable(getattr(callback, "wants_activations", None))


def eager_forward(
    model: Any, X: list, batch: Sequence[int], n_outputs: int, observe: bool
) -> tuple[list, list | None]:
    """The batch's outputs on the eager graph, and with `observe` (for a model that has
    `layer_outputs`, as nn.MLP) every neuron's output per sample: a tuple per layer of floats,
    read off the same graph. Without, the activations are None."""
    if not observe or not callable(getattr(model, "layer_outputs", None)):
        return [as_output(model(X[i]), n_outputs) for i in batch], None
    layers = [model.layer_outputs(X[i]) for i in batch]
    outputs = [as_output(sample[-1], n_outputs) for sample in layers]
    return outputs, [tuple(tuple(v.data for v in layer) for layer in sample) for sample in layers]


def diverged(
    history: History,
    step: int,
    what: str,
    lr: float,
    l2: float = 0.0,
    params: Sequence[Value] = (),
    optimizer: Any = None,
) -> None:
    """Say where and why training diverged, which weights the model now has, and what to try:
    a smaller l2 when the L2 term made it diverge (see `l2_cause`), else a smaller lr."""
    history.stop_reason = "diverged"
    if not history.loss:
        kept = "The weights are the initial ones"
    else:
        kept = f"Restored the weights of step {len(history.loss) - 1} (loss {history.loss[-1]:.6g})"
    cause = l2_cause(l2, lr, params, history, optimizer)
    if cause is None:
        advice = f"Try a smaller learning rate than {lr:g} (e.g. {lr / 10:g})."
    else:
        why, smaller = cause
        # lr·l2 >= 1 with a usual small l2 (the demo's 1e-4) is the learning rate's doing as
        # much as the l2's: either cures it
        usual = "lr·l2" in why and l2 < 1e-2
        also = f" or a smaller learning rate than {lr:g}" if usual else ""
        advice = f"Try a smaller l2 than {l2:g} (e.g. {smaller:.1g}){also}: {why}."
    history.message = f"training diverged at step {step}: {what}. {kept}. {advice}"
    warnings.warn(history.message, RuntimeWarning, stacklevel=5)  # the caller of fit


def loss_of(objective: Objective, outputs: list, targets: list) -> Value:
    """The batch's data loss. A ValueError from the loss is the caller's bug and propagates,
    unless an output is NaN or infinite (log(nan) in cross-entropy): that is divergence."""
    try:
        return objective.loss_value(outputs, targets)
    except ValueError:
        bad = non_finite(outputs)
        if bad is None:
            raise
        raise Diverged(f"the model's output became {bad!r}") from None


def non_finite(outputs: list) -> float | None:
    """The first output (a Value, or a list of them per sample) that is not finite, else None."""
    for out in outputs:
        for v in (out,) if type(out) is Value else out:
            if not math.isfinite(v.data):
                return v.data
    return None


def l2_cause(
    l2: float, lr: float, params: Sequence[Value], history: History, optimizer: Any
) -> tuple[str, float] | None:
    """(why, an l2 to try) when the L2 term, not the learning rate, made the run diverge.

    Read at the weights the run keeps (`params`, where the last loss was recorded): with plain
    SGD, lr·l2 >= 1 makes the decay alone overshoot, as each step multiplies every weight by
    1 - 2·lr·l2; or l2·Σp² is most of the last loss, or not finite by itself.
    """
    if not l2:
        return None
    if isinstance(optimizer, SGD) and optimizer.momentum == 0.0 and lr * l2 >= 1.0:
        why = (
            f"with SGD, lr·l2 = {lr * l2:.3g} >= 1 makes the L2 decay alone diverge, as each "
            f"step multiplies every weight by 1 - 2·lr·l2 = {1 - 2 * lr * l2:.3g}; keep lr·l2 "
            "below 1"
        )
        return why, min(l2 / 10, 0.1 / lr)
    squares = sum(p.data * p.data for p in params)
    penalty = l2 * squares
    if not math.isfinite(penalty):  # an l2 that brings the term to about 1, if there is one
        smaller = min(l2 / 10, 1 / squares) if math.isfinite(squares) else l2 / 10
        return f"the L2 term l2·Σp² alone is {penalty!r}", smaller
    loss = history.loss[-1] if history.loss else math.nan
    if loss > 0.0 and penalty >= 0.5 * loss:  # False for a NaN loss
        return f"the L2 term l2·Σp² is {penalty / loss:.0%} of the loss", l2 / 10
    return None


def weights(params: list[Value]) -> list[float]:
    return [p.data for p in params]


def restore(params: list[Value], values: list[float]) -> None:
    for p, w in zip(params, values, strict=True):
        p.data = w
