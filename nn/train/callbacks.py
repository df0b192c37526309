"""Callbacks: things `fit` calls around each step (a progress bar, early stopping, pictures).

A callback subclasses `Callback` and overrides any of these methods:

- `on_train_begin(state)`: `state` is an `nn.train.FitState` (model, data, objective, optimizer).
- `wants_activations(step) -> bool`: before each step; True asks for the step's activations.
- `on_step_end(step, logs) -> bool`: after each step; `logs` holds 'step', 'loss', 'accuracy',
  'lr', 'batch' (the step's sample indices), 'outputs' (the model's outputs for them: Values,
  of the step's graph when eager, leaves when compiled; read them, do not keep them) and
  'activations': None, or when asked for (and the model has `layer_outputs`, as nn.MLP), every
  neuron's output per sample of the batch, a tuple of floats per layer, computed by the step's
  own forward pass, compiled or eager. Returning True stops training; set `stop_reason` and
  `message` to say why.
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
from engine.player import write_player
from engine.steps import keeping_grads
from engine.viz import MAX_NODES, draw_dot
from nn.checks import check_choice, check_int, check_real
from nn.viz import NETWORK_LEGEND, draw_network


class Callback:
    """Base class: every hook does nothing until overridden."""

    stopped = False
    stop_reason = "callback"
    message = ""

    def on_train_begin(self, state: Any) -> None:
        pass

    def wants_activations(self, step: int) -> bool:
        return False

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
    After each frame, `index.html` in `directory` plays the frames so far (svg and png), with
    the step's loss, accuracy and learning rate under each (see `engine.player`).
    """

    title = "one sample's backward pass during training"
    legend = (("#e6dcf5", "parameter"), ("#fbe3cf", "the sample's loss"), ("#dcecfb", "leaf"))

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
        self.lines: list[str] = []
        self._state = None

    def on_train_begin(self, state: Any) -> None:
        if self.sample >= len(state.X):
            raise ValueError(
                f"sample={self.sample} is out of range: the training set has {len(state.X)} samples"
            )
        os.makedirs(self.directory, exist_ok=True)
        self._state = state
        self.written, self.lines = [], []

    def on_step_end(self, step: int, logs: dict[str, Any]) -> None:
        if step % self.every == 0:
            path = os.path.join(self.directory, f"step_{step:04d}.{self.format}")
            self.draw(path)
            self.written.append(path)
            self.lines.append(_step_line(step, logs, self.sample))
            if self.format != "pdf":  # a browser's <img> shows svg and png
                names = [os.path.basename(p) for p in self.written]
                title = f"{self.title}: sample {self.sample}, every {self.every} steps"
                write_player(self.directory, names, self.lines, title, self.legend)

    def draw(self, path: str) -> None:
        """Draw the current picture to `path`."""
        state = self._state
        render_sample_graph(
            state.model, state.sample_loss, self.sample, path, self.format, self.max_nodes
        )

    def on_train_end(self, history: Any) -> None:
        self._state = None


class RenderNetwork(RenderGraphs):
    """Every `every` steps, draw the network (`nn.viz.draw_network`) after one sample's
    backward pass: weights, the sample's activations and where its gradient went, one frame
    per `step_XXXX.svg`, with the player `index.html` next to them. `gradstep train
    --render-every K` writes these to OUT/graphs/."""

    title = "the network learning"
    legend = NETWORK_LEGEND

    def draw(self, path: str) -> None:
        state = self._state
        render_sample_network(
            state.model, state.sample_loss, state.X[self.sample], self.sample, path, self.format
        )


def _step_line(step: int, logs: dict[str, Any], sample: int) -> str:
    parts = [f"after step {step}"]
    if logs.get("loss") is not None:
        parts.append(f"loss {logs['loss']:.6g}")
    if logs.get("accuracy") is not None:
        parts.append(f"accuracy {logs['accuracy']:.1%}")
    if logs.get("lr") is not None:
        parts.append(f"lr {logs['lr']:.3g}")
    return ", ".join(parts) + f"; grads of sample {sample} alone"


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


def render_sample_network(
    model: Any,
    sample_loss: Any,
    x: Any,
    sample: int,
    path: str | os.PathLike,
    format: str = "svg",
) -> str:
    """Backward through sample `sample`'s loss and write `draw_network(model, x)` to `path`.

    The picture shows the sample's activations and its gradients alone; the model's `.grad`s
    are put back, so this can run in the middle of training. Written whole.
    """
    params = model.parameters()
    with keeping_grads(params):
        for p in params:
            p.grad = 0.0
        loss = sample_loss(sample, 0)
        loss.backward()
        note = f"after the backward pass of sample {sample}'s loss, {loss.data:.4g}"
        if all(p.grad == 0.0 for p in params):
            note += ": every grad is 0, no gradient reaches the weights"
        data = draw_network(model, x, note).pipe(format=format, quiet=True)
    write_atomic(path, data)
    return os.fspath(path)
