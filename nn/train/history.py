"""`History`: what a training run did, one entry per completed step, and why it stopped."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class History:
    """What happened during `fit`: one entry per completed step, and why it stopped.

    `loss` is each step's training loss: the batch's data loss plus the L2 term, measured
    before the step's update. `accuracy` holds None for regression. `train_*` are measured on
    the whole training set with the final weights (data loss, no L2 term), `val_*` on `X_val,
    y_val` when given (None otherwise). `val_steps`, `val_losses` and `val_accuracies` hold one
    entry per scoring of `X_val` during the run, each measured after `val_steps[i]` steps.
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
    val_steps: list[int] = field(default_factory=list)
    val_losses: list[float | None] = field(default_factory=list)
    val_accuracies: list[float | None] = field(default_factory=list)

    @property
    def diverged(self) -> bool:
        return self.stop_reason == "diverged"

    def record(self, loss: float, accuracy: float | None, lr: float) -> None:
        """Add one completed step, and keep track of the best loss so far."""
        self.loss.append(loss)
        self.accuracy.append(accuracy)
        self.lr.append(lr)
        if self.best_loss is None or loss < self.best_loss:
            self.best_loss, self.best_step = loss, len(self.loss) - 1

    def logs(self, step: int) -> dict[str, Any]:
        """The latest step as the `logs` callbacks receive."""
        return {
            "step": step,
            "loss": self.loss[-1],
            "accuracy": self.accuracy[-1],
            "lr": self.lr[-1],
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for metrics.json)."""
        return asdict(self)
