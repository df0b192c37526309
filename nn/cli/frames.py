"""`--render-every K`: the backward-pass frames a run draws, under a guard so that a frame that
cannot be drawn stops the frames, never the run."""

from __future__ import annotations

import os
from typing import Any

from nn.cli.outputs import one_line
from nn.train.callbacks import RenderGraphs


class GuardedFrames(RenderGraphs):
    """RenderGraphs that stops drawing, and keeps a note why, when a frame fails."""

    def __init__(self, directory: str, every: int) -> None:
        super().__init__(directory, every=every)
        self.note: str | None = None

    def on_step_end(self, step: int, logs: dict[str, Any]) -> None:
        if self.note is not None:
            return
        try:
            super().on_step_end(step, logs)
        except Exception as error:  # Graphviz, a full disk, a model gone to inf: not the run's end
            self.note = f"graphs/ stopped at step {step}: {one_line(error)}"
            if not self.written:
                try:
                    os.rmdir(self.directory)  # an empty folder would only puzzle
                except OSError:
                    pass
