"""`--render-every K`: the network frames a run draws, how big they will be, and a guard
so that a frame that cannot be drawn stops the frames, never the run."""

from __future__ import annotations

import math
import os
from typing import Any

from nn.cli.outputs import one_line
from nn.train import FitState
from nn.train.callbacks import RenderNetwork
from nn.viz import draw_network

MAX_FRAMES = 50  # more frames than this, or more bytes than MAX_BYTES, and the run warns
MAX_BYTES = 50_000_000


class GuardedFrames(RenderNetwork):
    """RenderNetwork that stops drawing, and keeps a note why, when a frame fails."""

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


def frame_count(steps: int, every: int) -> int:
    """How many frames `steps` steps draw with --render-every `every` (at steps 0, K, 2K, ...)."""
    return (steps + every - 1) // every


def frame_bytes(state: FitState) -> int:
    """The size of one frame, measured: the network drawn once for sample 0, as every frame is.

    0 when it cannot be drawn (no Graphviz): then no frame will be written either.
    """
    try:
        return len(draw_network(state.model, state.X[0]).pipe(format="svg"))
    except Exception:  # the frames themselves will say why they stopped
        return 0


def frames_warning(state: FitState, every: int) -> str | None:
    """One line for stderr when the frames will be many or big (and a K that thins them)."""
    frames = frame_count(state.steps, every)
    size = frame_bytes(state)
    if frames <= MAX_FRAMES and frames * size <= MAX_BYTES:
        return None
    fewer = max(1, min(MAX_FRAMES, MAX_BYTES // max(size, 1)))
    k = math.ceil(state.steps / fewer)
    return (
        f"--render-every {every} will draw {frames} frames of about {_size(size)} each "
        f"(about {_size(frames * size)} in graphs/); --render-every {k} would draw "
        f"{frame_count(state.steps, k)} (about {_size(frame_count(state.steps, k) * size)})"
    )


def _size(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} bytes"
