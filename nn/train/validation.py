"""`HeldOut`: the callback `fit` adds for `X_val, y_val`, scoring them every few steps.

Its numbers go into the History (`val_steps`, `val_losses`, `val_accuracies`), so a plot can
draw the held-out curve next to the training one, and the gap between them is overfitting.
"""

from __future__ import annotations

import math
from typing import Any

from nn.checks import check_int
from nn.train.callbacks import Callback
from nn.train.scoring import score

EVALUATIONS = 20  # how many times a run scores its held-out data when `eval_every` is not given


def default_every(steps: int) -> int:
    """Score the held-out data about EVALUATIONS times over a run of `steps` steps."""
    return max(1, math.ceil(steps / EVALUATIONS))


class HeldOut(Callback):
    """Score (X, y) at the start, every `every` steps and at the end, with no graph and no L2.

    Each score is recorded with the number of steps taken when it was measured, so it sits on
    the same axis as the training loss (whose entry i was measured after i steps). The final
    one is also `history.val_loss` and `history.val_accuracy`.
    """

    def __init__(self, X: list[list[float]], y: list, every: int) -> None:
        self.X, self.y = X, y  # checked by `fit`
        self.every = check_int("eval_every", every, 1, " (score X_val every k steps)")
        self._state: Any = None

    def on_train_begin(self, state: Any) -> None:
        self._state = state
        self.record(0)

    def on_step_end(self, step: int, logs: dict[str, Any]) -> None:
        history = self._state.history
        taken = step if history.stop_reason == "target_loss" else step + 1  # no update then
        if taken % self.every == 0:
            loss, accuracy = self.record(taken)
            logs["val_loss"], logs["val_accuracy"] = loss, accuracy

    def on_train_end(self, history: Any) -> None:
        # A run that stops on its target loss or on divergence keeps the weights its last
        # recorded loss was measured at: one update fewer than the losses recorded.
        kept = history.stop_reason in ("target_loss", "diverged")
        taken = max(0, len(history.loss) - kept)
        if history.val_steps and history.val_steps[-1] == taken:
            loss, accuracy = history.val_losses[-1], history.val_accuracies[-1]
        else:
            loss, accuracy = self.record(taken)
        history.val_loss, history.val_accuracy = loss, accuracy
        self._state = None

    def record(self, taken: int) -> tuple[float | None, float | None]:
        """Score the model now, as measured after `taken` steps; add it to the history."""
        state = self._state
        result = score(state.model, self.X, self.y, state.objective, state.compiled_outputs)
        history = state.history
        history.val_steps.append(taken)
        history.val_losses.append(result["loss"])
        history.val_accuracies.append(result["accuracy"])
        return result["loss"], result["accuracy"]
