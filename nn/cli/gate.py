"""`Gate`: a callback that lets another thread pause, step, resume and stop a `fit` run.

`gradstep lab` trains in a thread of its own and puts a Gate last in `fit`'s callbacks, so the
page's buttons act on the training itself: "pause" holds the run at the end of the step in
progress, "step" lets exactly one more step through and holds again (the REPL's `next(loop)`),
"resume" lets it run. `stop()` (Ctrl-C) ends the run between two steps, as an interruption:
the weights are those of the last completed step, and `fit` returns as usual.

With `shown`, the gate holds only after the steps it approves (the live lab's: those its
recorder recorded, so that a held run and each "step" always show a step on the page).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from nn.train.callbacks import Callback

ACTIONS = ("pause", "step", "resume")


class Gate(Callback):
    """Hold a training run between two steps while paused; "step" lets one step through."""

    stop_reason = "interrupted"

    def __init__(self, shown: Callable[[int], bool] | None = None) -> None:
        self.shown = shown  # holds only after the steps it says (those the page can show)
        self._changed = threading.Condition()
        self._paused = False  # asked to pause: hold at the end of the step in progress
        self._passes = 0  # steps "step" has let through while paused
        self._stopping = False
        self.holding: int | None = None  # the step after which the run is held, if it is
        self.began = threading.Event()  # set when training begins (earlier callbacks are set)
        self.ended = threading.Event()  # set when training ends; `history` is then the run's
        self.history: Any = None

    def on_train_begin(self, state: Any) -> None:
        self.began.set()

    def on_step_end(self, step: int, logs: dict[str, Any]) -> bool:
        shown = self.shown is None or self.shown(step)
        with self._changed:
            while shown and self._paused and not self._passes and not self._stopping:
                self.holding = step
                self._changed.wait()
            self.holding = None
            if shown and self._paused and self._passes:
                self._passes -= 1
            if self._stopping:
                self.stopped = True
                self.message = f"interrupted after step {step}"
            return self._stopping

    def on_train_end(self, history: Any) -> None:
        self.history = history
        self.ended.set()

    def control(self, action: str) -> None:
        """Act on the run: 'pause', 'step' (one step, then hold; while running: pause) or
        'resume'. ValueError for any other action."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
        with self._changed:
            if action == "resume":
                self._paused, self._passes = False, 0
            elif action == "step" and self._paused:
                self._passes += 1
            else:  # pause, or a step asked while running: the step in progress is the one
                self._paused = True
            if not self._paused or self._passes:
                self.holding = None  # released: running until the gate holds it again
            self._changed.notify_all()

    def stop(self) -> None:
        """End the run at the end of the step in progress (or now, if it is held)."""
        with self._changed:
            self._stopping = True
            self.holding = None
            self._changed.notify_all()

    @property
    def state(self) -> str:
        """'running', 'paused' (held, or to be held at the end of the step in progress),
        'done' or 'diverged'."""
        if self.ended.is_set():
            return "diverged" if self.history.diverged else "done"
        return "paused" if self._paused else "running"
