"""`fit`: train a model by gradient descent and return its `History` (`evaluate` scores it).

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

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nn.checks import check_int, check_real, check_rows, check_targets
from nn.optim import make_optimizer
from nn.train.callbacks import Callback, EarlyStopping, ProgressBar
from nn.train.compiled import compiled_model
from nn.train.history import History
from nn.train.loop import Batches, FitState, Loop
from nn.train.objective import Objective, output_count
from nn.train.scoring import score
from nn.train.validation import HeldOut, default_every


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
    eval_every: int | None = None,
    compile: bool | str = "auto",
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
    - X_val, y_val: held-out data, scored (data loss and accuracy, no graph) at the start,
      every `eval_every` steps (default: about 20 times per run) and at the end, into
      `history.val_steps`, `val_losses`, `val_accuracies`; the final score is `val_loss`,
      `val_accuracy`.
    - compile: 'auto' runs an MLP's passes as traced Python (`nn.train.compiled`: the same
      numbers, several times faster), True any model's (checked against eager at first),
      False always the eager graph.
    """
    run = prepare(
        model, X, y, loss, optimizer, steps, batch_size, schedule, callbacks,
        lr=lr, l2=l2, target_loss=target_loss, patience=patience, seed=seed,
        progress=progress, X_val=X_val, y_val=y_val, eval_every=eval_every, compile=compile,
    )  # fmt: skip
    run.begin()
    start = time.perf_counter()
    run.loop.run(run.state.steps)
    return run.end(time.perf_counter() - start)


@dataclass
class Run:
    """A run of `fit`, checked and set up: its loop, and what to do before and after it."""

    loop: Loop
    state: FitState

    def begin(self) -> None:
        """Tell every callback that training begins."""
        for cb in self.loop.callbacks:
            cb.on_train_begin(self.state)

    def end(self, seconds: float) -> History:
        """Score the final weights on the training set (compiled when the run is), tell the
        callbacks (`HeldOut` scores the validation set)."""
        history, model, objective = self.loop.history, self.loop.model, self.loop.objective
        history.seconds = seconds
        history.steps = len(history.loss)
        final = score(model, self.loop.X, self.loop.y, objective, self.state.compiled_outputs)
        history.train_loss, history.train_accuracy = final["loss"], final["accuracy"]
        for cb in self.loop.callbacks:
            cb.on_train_end(history)
        return history


def prepare(
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
    eval_every: int | None = None,
    compile: bool | str = "auto",
) -> Run:
    """Check `fit`'s arguments and set up its run, without taking a step."""
    X = check_rows("X", X)
    y = check_targets("y", y, len(X))
    steps = check_int("steps", steps)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, " (or None for the whole set)")
    l2 = check_real("l2", l2, "[0, inf)")
    if (X_val is None) != (y_val is None):
        raise ValueError("pass both X_val and y_val, or neither")
    if X_val is None and eval_every is not None:
        raise ValueError("eval_every says how often to score X_val; pass X_val and y_val too")
    if X_val is not None:
        X_val = check_rows("X_val", X_val)
        y_val = check_targets("y_val", y_val, len(X_val))
        every = default_every(steps) if eval_every is None else eval_every
        held_out = HeldOut(X_val, y_val, every)
    objective = Objective(loss, output_count(model, X[0]), y)
    optimizer = make_optimizer(optimizer, list(model.parameters()), lr)
    callbacks = _callbacks(callbacks, patience, progress)
    compiled = compiled_model(model, X, objective.n_outputs, compile)
    if X_val is not None:
        callbacks.insert(0, held_out)  # first: the others see its scores in their logs
    history = History()
    loop = Loop(
        model,
        X,
        y,
        objective,
        optimizer,
        _lr_function(schedule, optimizer),
        schedule,
        l2,
        Batches(len(X), batch_size, seed),
        target_loss,
        history,
        callbacks,
        compiled,
    )

    outputs = None if compiled is None else compiled.outputs
    state = FitState(model, X, y, objective, optimizer, steps, history, outputs)
    return Run(loop, state)


def _callbacks(callbacks: Sequence, patience: int | None, progress: bool | None) -> list:
    """The user's callbacks, plus early stopping and a progress bar when asked for."""
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback) and not hasattr(cb, "on_step_end"):
            raise TypeError(f"callbacks must be nn.train.callbacks.Callback objects, not {cb!r}")
    if patience is not None:
        callbacks.append(EarlyStopping(patience))
    if progress is None:
        progress = _is_terminal(sys.stderr)
    if progress and not any(isinstance(cb, ProgressBar) for cb in callbacks):
        callbacks.insert(0, ProgressBar())
    return callbacks


def _lr_function(schedule: Any, optimizer: Any) -> Callable[[int], None] | None:
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
