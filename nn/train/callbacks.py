"""Callbacks: things `fit` calls around each step (a progress bar, early stopping, graph frames).

A callback subclasses `Callback` and overrides any of three methods:

- `on_train_begin(state)`: `state` is an `nn.train.FitState` (model, data, objective, optimizer).
- `on_step_end(step, logs) -> bool`: after each step; `logs` holds 'step', 'loss', 'accuracy' and
  'lr'. Returning True stops training; set `stop_reason` and `message` to say why.
- `on_train_end(history)`: once, with the finished `History`.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import Any

from engine import topological_order
from engine.files import write_atomic
from engine.steps import keeping_grads
from engine.viz import MAX_NODES, draw_dot
from nn.checks import check_choice, check_int, check_real


class Callback:
    """Base class: every hook does nothing until overridden."""

    stopped = False
    stop_reason = "callback"
    message = ""

    def on_train_begin(self, state: Any) -> None:
        pass

    def on_step_end(self, step: int, logs: dict[str, Any]) -> bool | None:
        return None

    def on_train_end(self, history: Any) -> None:
        pass


class ProgressBar(Callback):
    """A tqdm bar on stderr with the loss, accuracy and learning rate of the latest step."""

    def __init__(self, file: Any = None, desc: str = "train") -> None:
        self.file = file
        self.desc = desc
        self._bar = None

    def on_train_begin(self, state: Any) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(
            total=state.steps,
            desc=self.desc,
            unit="step",
            file=self.file if self.file is not None else sys.stderr,
            dynamic_ncols=True,
        )

    def on_step_end(self, step: int, logs: dict[str, Any]) -> None:
        if self._bar is None:
            return
        shown = {"loss": f"{logs['loss']:.4g}"}
        if logs.get("accuracy") is not None:
            shown["acc"] = f"{logs['accuracy']:.1%}"
        shown["lr"] = f"{logs['lr']:.3g}"
        self._bar.set_postfix(shown, refresh=False)
        self._bar.update(1)

    def on_train_end(self, history: Any) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class EarlyStopping(Callback):
    """Stop when the loss has not improved by more than `min_delta` for `patience` steps."""

    stop_reason = "patience"

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        self.patience = check_int("patience", patience, 1, " (steps without improvement)")
        self.min_delta = check_real("min_delta", min_delta, "[0, inf)")
        self.best = math.inf
        self.best_step = -1
        self.wait = 0

    def on_train_begin(self, state: Any) -> None:
        self.best, self.best_step, self.wait, self.stopped = math.inf, -1, 0, False

    def on_step_end(self, step: int, logs: dict[str, Any]) -> bool:
        loss = logs["loss"]
        if loss < self.best - self.min_delta:
            self.best, self.best_step, self.wait = loss, step, 0
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped = True
            self.message = (
                f"the loss has not improved for {self.patience} steps "
                f"(best {self.best:.6g} at step {self.best_step})"
            )
            return True
        return False


class RenderGraphs(Callback):
    """Every `every` steps, draw one sample's backward pass as `step_XXXX.svg` in `directory`.

    Why one sample: a full batch makes a graph of thousands of nodes nobody can read; one
    sample's loss is a small graph of its own, with each weight's gradient for that sample.
    Rendered by Graphviz `dot` (see `engine.viz`); the model's `.grad`s are left as they were.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        every: int = 10,
        sample: int = 0,
        format: str = "svg",
        max_nodes: int | None = MAX_NODES,
    ) -> None:
        self.every = check_int("every", every, 1, " (render every k steps)")
        self.sample = check_int("sample", sample, 0, " (the index of a training sample)")
        self.format = check_choice("format", format, ("svg", "png", "pdf"))
        self.directory = os.fspath(directory)
        self.max_nodes = max_nodes
        self.written: list[str] = []
        self._state = None

    def on_train_begin(self, state: Any) -> None:
        if self.sample >= len(state.X):
            raise ValueError(
                f"sample={self.sample} is out of range: the training set has {len(state.X)} samples"
            )
        os.makedirs(self.directory, exist_ok=True)
        self._state = state
        self.written = []

    def on_step_end(self, step: int, logs: dict[str, Any]) -> None:
        if step % self.every == 0:
            path = os.path.join(self.directory, f"step_{step:04d}.{self.format}")
            render_sample_graph(
                self._state.model,
                self._state.sample_loss,
                self.sample,
                path,
                self.format,
                self.max_nodes,
            )
            self.written.append(path)

    def on_train_end(self, history: Any) -> None:
        self._state = None


@dataclass
class SampleGraph:
    """What `render_sample_graph` drew: the file, its number of Values, the layers left out."""

    path: str
    values: int
    skipped_layers: int


def render_sample_graph(
    model: Any,
    sample_loss: Any,
    sample: int,
    path: str | os.PathLike,
    format: str = "svg",
    max_nodes: int | None = MAX_NODES,
) -> SampleGraph:
    """Backward through one sample's loss and write its graph to `path`, whole.

    `sample_loss(i, skip_layers)` builds the loss of sample i (see `FitState.sample_loss`).
    When the whole graph has more than `max_nodes` Values (digits: 64 inputs make ~2,500),
    the first layers are left out, one at a time, until it fits: their outputs become the
    graph's inputs. The model's `.grad`s are put back, so this can run in the middle of training.
    """
    params = model.parameters()
    with keeping_grads(params):
        for p in params:
            p.grad = 0.0
        skipped, root = 0, sample_loss(sample, 0)
        values = len(topological_order(root))
        while max_nodes is not None and values > max_nodes:
            if skipped + 1 >= len(getattr(model, "layers", ())):
                break  # nothing left to leave out: draw_dot says how big it is
            skipped += 1
            root = sample_loss(sample, skipped)
            values = len(topological_order(root))
        root.label = root.label or "loss"
        root.backward()
        graph = draw_dot(root, max_nodes=max_nodes, params=params)
        data = graph.pipe(format=format, quiet=True)  # dot's layout warnings are not ours to show
    write_atomic(path, data)
    return SampleGraph(os.fspath(path), values, skipped)
