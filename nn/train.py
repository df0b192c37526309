"""`fit`: the training loop, and the `History` it returns (loss, accuracy and lr per step).

>>> from nn import MLP, fit
>>> from nn.data import make_xor
>>> X, y = make_xor(seed=0)
>>> model = MLP(2, [8, 1], seed=0)
>>> history = fit(model, X, y, loss="hinge", lr=0.1, steps=50, progress=False)
>>> history.stop_reason
'steps'

The loop stops at the step limit, at a target loss, when the loss has not improved for
`patience` steps, or when it diverges: then it puts back the weights at which the last
recorded loss was measured, warns, and says what to try, instead of raising.
"""

from __future__ import annotations

import math
import random
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine import Value, no_grad
from nn.checks import check_count, check_labels, check_rows
from nn.objective import LOSSES, REGRESSION_LOSSES, Objective  # noqa: F401 - re-exported

OPTIMIZERS = ("sgd", "adam", "adamw")

# What the engine raises when a number leaves float range (it raises rather than return inf).
MATH_ERRORS = (OverflowError, ZeroDivisionError, ValueError)


@dataclass
class History:
    """What happened during `fit`: one entry per completed step, and why it stopped.

    `accuracy` holds None for regression. `train_*` are measured on the whole training set
    with the final weights, `val_*` on `X_val, y_val` when given (None otherwise).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    steps: int = 0
    stop_reason: str = ""
    message: str = ""
    best_step: int | None = None
    best_loss: float | None = None
    seconds: float = 0.0
    train_loss: float | None = None
    train_accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None

    @property
    def diverged(self) -> bool:
        return self.stop_reason == "diverged"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for metrics.json)."""
        return {
            "loss": list(self.loss),
            "accuracy": list(self.accuracy),
            "lr": list(self.lr),
            "steps": self.steps,
            "stop_reason": self.stop_reason,
            "message": self.message,
            "best_step": self.best_step,
            "best_loss": self.best_loss,
            "seconds": self.seconds,
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
            "val_loss": self.val_loss,
            "val_accuracy": self.val_accuracy,
        }


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
        return sample_loss(self.model, self.objective, self.X[i], self.objective.targets[i],
                           skip_layers)


def sample_loss(model, objective: Objective, x: list[float], target, skip_layers: int = 0) -> Value:
    """One sample's loss as a graph. With `skip_layers`, an MLP's first layers run without
    recording: their outputs are leaves, so the graph holds only the later layers."""
    if skip_layers:
        layers = getattr(model, "layers", None)
        if not layers or skip_layers >= len(layers):
            raise ValueError(f"cannot skip {skip_layers} layers of {type(model).__name__}")
        with no_grad():
            for layer in layers[:skip_layers]:
                x = layer(x)
        for layer in layers[skip_layers:]:
            x = layer(x)
        out = x
    else:
        out = model(x)
    return objective.loss_value([_output(out, objective.n_outputs)], [target])


def fit(
    model,
    X: Sequence,
    y: Sequence,
    loss: str | Callable = "auto",
    optimizer: Any = None,
    steps: int = 100,
    batch_size: int | None = None,
    schedule: Any = None,
    callbacks: Sequence = (),
    *,
    lr: float | None = None,
    l2: float = 0.0,
    target_loss: float | None = None,
    patience: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
    X_val: Sequence | None = None,
    y_val: Sequence | None = None,
) -> History:
    """Train `model` on (X, y) by gradient descent; return the `History` of the run.

    - loss: 'auto' (cross_entropy for several outputs, hinge for two classes, else mse), a
      name (mse, l1, huber, hinge, bce, cross_entropy) or a callable(preds, targets) -> Value.
      Class labels are 0..k-1 (or -1/+1 for two classes); `fit` converts them per loss.
    - optimizer: an optimizer instance, a name ('sgd', 'adam', 'adamw') built with `lr`, or
      None for SGD(lr=0.1 unless `lr` is given).
    - schedule: a scheduler of `nn.optim` (stepped once per step) or a function step -> lr.
    - batch_size: None for the whole set each step; else shuffled minibatches (seeded by `seed`).
    - l2: adds l2 · Σ p² over the parameters to the loss (micrograd's demo uses 1e-4).
    - target_loss / patience: stop once the loss is <= target_loss, or has not improved for
      `patience` steps.
    - progress: a tqdm bar on stderr; None shows it only when stderr is a terminal.
    """
    from nn.callbacks import Callback, EarlyStopping, ProgressBar

    X = check_rows(X, "X")
    y = check_labels(y, len(X), "y")
    steps = check_count(steps, "steps")
    if batch_size is not None:
        batch_size = check_count(batch_size, "batch_size")
        if batch_size == 0:
            raise ValueError("batch_size must be at least 1 (or None for the whole set)")
    if not isinstance(l2, (int, float)) or isinstance(l2, bool) or not l2 >= 0.0:
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    params = list(model.parameters())
    n_outputs = output_count(model, X[0])
    objective = Objective(loss, n_outputs, y)
    optimizer = make_optimizer(optimizer, params, lr)
    set_lr = _schedule(schedule, optimizer)

    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback) and not hasattr(cb, "on_step_end"):
            raise TypeError(f"callbacks must be nn.callbacks.Callback objects, not {cb!r}")
    if patience is not None:
        callbacks.append(EarlyStopping(patience))
    if progress is None:
        progress = _is_terminal(sys.stderr)
    if progress and not any(isinstance(cb, ProgressBar) for cb in callbacks):
        callbacks.insert(0, ProgressBar())

    history = History()
    state = FitState(model, X, y, objective, optimizer, steps, history)
    for cb in callbacks:
        cb.on_train_begin(state)

    rng = random.Random(seed)
    order: list[int] = []
    targets = objective.targets
    start = time.perf_counter()
    last_good = before = _weights(params)  # last_good: where the last recorded loss was measured
    history.stop_reason = "steps"
    try:
        for step in range(steps):
            if set_lr is not None:
                set_lr(step)
            step_lr = float(optimizer.lr)
            if batch_size is None or batch_size >= len(X):
                batch = range(len(X))
            else:
                if len(order) < batch_size:
                    order = _refill(order, len(X), rng)
                batch, order = order[:batch_size], order[batch_size:]
            before = _weights(params)
            try:
                outputs = [_output(model(X[i]), n_outputs) for i in batch]
                total = objective.loss_value(outputs, [targets[i] for i in batch])
                if l2:
                    total = total + l2 * _l2(params)
                value = total.data
                if not math.isfinite(value):
                    raise FloatingPointError(f"the loss became {value!r}")
                if target_loss is not None and value <= target_loss:
                    _record(history, value, objective.accuracy(outputs, [y[i] for i in batch]),
                            step_lr)
                    history.stop_reason = "target_loss"
                    history.message = (
                        f"reached the target loss {target_loss:g} at step {step} "
                        f"(loss {value:.6g})"
                    )
                    _notify_step(callbacks, step, history)
                    break
                optimizer.zero_grad()
                total.backward()
                optimizer.step()
            except (FloatingPointError, *MATH_ERRORS) as error:
                _restore(params, last_good if step > 0 else before)
                _diverged(history, step, str(error), step_lr)
                break
            _record(history, value, objective.accuracy(outputs, [y[i] for i in batch]), step_lr)
            last_good = before
            bad = next((p for p in params if not math.isfinite(p.data)), None)
            if bad is not None:  # the loss was fine, the update was not: keep its weights
                _restore(params, before)
                _diverged(history, step, f"its update made {bad.label or 'a weight'} "
                          f"{bad.data!r}", step_lr)
                break
            if hasattr(schedule, "step"):
                schedule.step()
            if _notify_step(callbacks, step, history):
                stopper = next((cb for cb in callbacks if getattr(cb, "stopped", False)), None)
                history.stop_reason = getattr(stopper, "stop_reason", "callback")
                history.message = getattr(stopper, "message", "") or "a callback stopped training"
                break
        else:
            history.message = f"ran all {steps} steps"
    except KeyboardInterrupt:
        # Stop between consistent states: the weights the interrupted step started from.
        _restore(params, before)
        history.stop_reason = "interrupted"
        history.message = f"interrupted at step {len(history.loss)}"
    history.seconds = time.perf_counter() - start
    history.steps = len(history.loss)

    final = evaluate(model, X, y, objective)
    history.train_loss, history.train_accuracy = final["loss"], final["accuracy"]
    if X_val is not None or y_val is not None:
        if X_val is None or y_val is None:
            raise ValueError("pass both X_val and y_val, or neither")
        X_val = check_rows(X_val, "X_val")
        val = evaluate(model, X_val, check_labels(y_val, len(X_val), "y_val"), objective)
        history.val_loss, history.val_accuracy = val["loss"], val["accuracy"]
    for cb in callbacks:
        cb.on_train_end(history)
    return history


def evaluate(model, X: Sequence, y: Sequence, loss: str | Callable | Objective = "auto") -> dict:
    """{'loss', 'accuracy'} of `model` on (X, y) without building a graph (no L2 term).

    The loss is None if it is not finite or cannot be computed (a diverged model).
    """
    X = check_rows(X, "X")
    y = check_labels(y, len(X), "y")
    if not isinstance(loss, Objective):
        loss = Objective(loss, output_count(model, X[0]), y)
    labels = list(y)
    targets = loss._adapt(labels) if loss.kind != "custom" else labels
    with no_grad():
        try:
            outputs = [_output(model(x), loss.n_outputs) for x in X]
        except MATH_ERRORS:
            return {"loss": None, "accuracy": None}
        try:
            value = loss.loss_value(outputs, targets).data
        except MATH_ERRORS:
            value = math.nan
    return {
        "loss": value if math.isfinite(value) else None,
        "accuracy": loss.accuracy(outputs, labels),
    }


def output_count(model, x: Sequence[float]) -> int:
    """How many numbers `model` returns for one sample (a bare Value counts as one)."""
    with no_grad():
        out = model(list(x))
    if type(out) is Value:
        return 1
    if isinstance(out, (list, tuple)) and out and all(type(v) is Value for v in out):
        return len(out)
    raise TypeError(f"the model must return a Value or a list of Values, not {type(out).__name__}")


# ---- the pieces of a step ----


def _output(out, n_outputs: int):
    if n_outputs == 1 and type(out) is not Value:
        return out[0]
    return out


def _l2(params: list[Value]) -> Value:
    import nn.losses

    return nn.losses.l2(params)


def _record(history: History, loss: float, accuracy: float | None, lr: float) -> None:
    history.loss.append(loss)
    history.accuracy.append(accuracy)
    history.lr.append(lr)
    if history.best_loss is None or loss < history.best_loss:
        history.best_loss, history.best_step = loss, len(history.loss) - 1


def _notify_step(callbacks: list, step: int, history: History) -> bool:
    logs = {
        "step": step,
        "loss": history.loss[-1],
        "accuracy": history.accuracy[-1],
        "lr": history.lr[-1],
    }
    stop = False
    for cb in callbacks:
        stop = bool(cb.on_step_end(step, logs)) or stop
    return stop


def _diverged(history: History, step: int, what: str, lr: float) -> None:
    """Say where and why training diverged, which weights the model now has, and what to try."""
    history.stop_reason = "diverged"
    if not history.loss:
        kept = "The weights are the initial ones"
    else:
        kept = (f"Restored the weights of step {len(history.loss) - 1} "
                f"(loss {history.loss[-1]:.6g})")
    history.message = (
        f"training diverged at step {step}: {what}. {kept}. "
        f"Try a smaller learning rate than {lr:g} (e.g. {lr / 10:g})."
    )
    warnings.warn(history.message, RuntimeWarning, stacklevel=3)


def _weights(params: list[Value]) -> list[float]:
    return [p.data for p in params]


def _restore(params: list[Value], weights: list[float]) -> None:
    for p, w in zip(params, weights, strict=True):
        p.data = w


def _refill(order: list[int], n: int, rng: random.Random) -> list[int]:
    """Add one shuffled pass over the data: every sample is seen once per epoch."""
    fresh = list(range(n))
    rng.shuffle(fresh)
    return order + fresh


def make_optimizer(optimizer: Any, params: list[Value], lr: float | None):
    """The optimizer to step with, from a name ('sgd', 'adam', 'adamw') or as given.

    fit() and `gradstep train` share it, so a name means the same optimizer in both.
    """
    import nn.optim

    if optimizer is None:
        optimizer = "sgd"
    if isinstance(optimizer, str):
        name = optimizer.lower()
        if name not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        cls = {"sgd": nn.optim.SGD, "adam": nn.optim.Adam, "adamw": nn.optim.AdamW}[name]
        if lr is None:
            return cls(params, lr=0.1) if name == "sgd" else cls(params)
        return cls(params, lr=lr)
    if lr is not None:
        raise ValueError("lr goes to the optimizer you pass in; give fit() an lr only with a name")
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(
            f"optimizer must be 'sgd', 'adam', 'adamw' or an object with step() and zero_grad(), "
            f"not {type(optimizer).__name__}"
        )
    return optimizer


def _schedule(schedule: Any, optimizer: Any) -> Callable[[int], None] | None:
    """None, or a function that sets the optimizer's lr for a step (for schedule(step) -> lr)."""
    if schedule is None or hasattr(schedule, "step"):
        return None
    if not callable(schedule):
        raise TypeError(
            "schedule must be a scheduler of nn.optim (with step()) or a function step -> lr, "
            f"not {type(schedule).__name__}"
        )

    def set_lr(step: int) -> None:
        optimizer.lr = float(schedule(step))

    return set_lr


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
