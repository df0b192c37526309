"""The training lab: `LabRecorder` records a run as plain data, `write_lab` writes the page.

>>> from nn import MLP, fit
>>> from nn.data import make_moons
>>> from nn.train.lab import LabRecorder, write_lab
>>> X, y = make_moons(40, seed=0)
>>> recorder = LabRecorder(name="moons")
>>> history = fit(MLP(2, [8, 1], seed=0), X, y, steps=20, callbacks=[recorder], progress=False)
>>> len(recorder.steps), recorder.steps[0]["step"]
(21, 0)

`write_lab(folder, recorder)` then writes `folder/lab/index.html`: one self-contained page that
replays the run offline, its network, what it has learnt, its curves, one example's story and
each layer's health, step by step. A recorded step holds the weights that step started from
(those its loss and gradients were measured at), their gradients, and what the update did; the
last entry is the model the run ended with (or, for a diverged run, the weights it kept).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

from engine import Value, no_grad
from nn.checks import check_int, check_rows, check_targets
from nn.train.callbacks import Callback
from nn.train.labpage import lab_page, write_lab
from nn.train.labsteps import RunFacts, page_step, rounded
from nn.train.scoring import outputs_of

__all__ = ["LabRecorder", "lab_page", "write_lab"]

MAX_STEPS = 100  # steps recorded at most: enough to watch, small enough for the page
MAX_EVALS = 20  # times at most the held-out set is scored (each is a pass over all of it)
MAX_POINTS = 1000  # 1-D and 2-D data: points the page shows and can explain
PER_CLASS = 4  # other data: examples per class the page can explain


class LabRecorder(Callback):
    """Record a run for the lab page: `meta` (the run) and `steps` (one dict per recorded step).

    Use it as any callback, `fit(..., callbacks=[LabRecorder()])`, then `write_lab(folder,
    recorder)`. At most `max_steps` steps are recorded, evenly spaced (step 0 and the last one
    always); `X_val`, `y_val` are scored at up to 20 of them. `name`, `class_names` and
    `feature_names` label the page (as text: any characters are shown as they are). The model
    must be an MLP (layers of neurons with `w` and `b`), as `nn.MLP` is.

    A recorded step asks the loop for its activations (`wants_activations`), which a compiled
    run computes in the same forward pass, and keeps its raw numbers; `steps` shapes them for
    the page (`nn.train.labsteps`) when first read, so recording stays cheap next to a step.
    """

    def __init__(
        self,
        X_val: Sequence | None = None,
        y_val: Sequence | None = None,
        *,
        name: str = "",
        class_names: Sequence[str] | None = None,
        feature_names: Sequence[str] | None = None,
        max_steps: int = MAX_STEPS,
    ) -> None:
        if (X_val is None) != (y_val is None):
            raise ValueError("pass both X_val and y_val, or neither")
        self.X_val = check_rows("X_val", X_val) if X_val is not None else None
        self.y_val = check_targets("y_val", y_val, len(self.X_val)) if X_val is not None else None
        self.name = _text("name", name)
        self.class_names = _texts("class_names", class_names)
        self.feature_names = _texts("feature_names", feature_names)
        self.max_steps = check_int("max_steps", max_steps, 2, " (steps recorded at most)")
        self.meta: dict[str, Any] = {}
        self._raw: list[dict[str, Any]] = []  # what each recorded step measured, as it was
        self._shaped: list[dict[str, Any]] = []  # the same, shaped for the page
        self._shaping = threading.Lock()  # `gradstep lab` reads `steps` from its server
        self._state = None

    @property
    def steps(self) -> list[dict[str, Any]]:
        """The recorded steps as the page reads them (see `nn.train.labsteps.page_step`),
        shaped when first read: the last one is the model the run ended with."""
        with self._shaping:
            for k in range(len(self._shaped), len(self._raw)):
                self._shaped.append(page_step(self._raw[k], self._facts))
                self._raw[k] = None  # shaped: its raw numbers are not needed again
            return self._shaped

    # ---- the callback ----

    def on_train_begin(self, state: Any) -> None:
        self._state = state
        self._layers = _mlp_layers(state.model)
        self._params = [p for layer in self._layers for n in layer for p in (*n.w, n.b)]
        self._objective = state.objective
        self._relu = [getattr(layer[0], "activation", None) == "relu" for layer in self._layers]
        self.every = max(1, math.ceil(state.steps / self.max_steps))
        self._evals = _eval_steps(state.steps, self.every, self.X_val is not None)
        self._examples = self._pick_examples(state)
        self.meta = self._meta(state)
        self._facts = RunFacts(
            sizes=tuple((len(layer), len(layer[0].w)) for layer in self._layers),
            names=tuple(p.label or f"params[{i}]" for i, p in enumerate(self._params)),
            optimizer=type(state.optimizer),
            loss=state.objective.name,
            learnt=self.meta["learnt"],
        )
        self._checked = self._examples[:3] if self._examples_from == "training set" else []
        with self._shaping:
            self._raw, self._shaped = [], []
        self._last = -1
        self._before = [p.data for p in self._params]
        self._before_opt = self._optimizer_state()
        self._val = self._score_val() if 0 in self._evals else None

    def wants_activations(self, step: int) -> bool:
        """Every neuron's output of the batch, on the steps that are recorded."""
        return self._state is not None and self._recorded(step)

    def on_step_end(self, step: int, logs: dict[str, Any]) -> None:
        self._last = step
        after = None
        if self._recorded(step):
            record = self._record(step, logs)
            self._raw.append(record)
            after = record["after"]
        if self._recorded(step + 1):
            self._before = after if after is not None else [p.data for p in self._params]
            self._before_opt = self._optimizer_state()
            self._val = self._score_val() if step + 1 in self._evals else None

    def on_train_end(self, history: Any) -> None:
        self._raw.append(self._final(history))
        self.meta["end"] = _end(history, self._last + 1)
        self._state = None

    # ---- one recorded step ----

    def _recorded(self, step: int) -> bool:
        return step % self.every == 0 or step == self._state.steps - 1

    def _record(self, step: int, logs: dict[str, Any]) -> dict[str, Any]:
        """What the step measured, raw: the weights it started from and ended with, their
        gradients, what its activations say; `page_step` shapes it for the page."""
        params = self._params
        acts = logs.get("activations")
        batch = logs.get("batch") or ()
        # a step whose loss reached the target stops before its backward pass and update
        reached = self._state.history.stop_reason == "target_loss"
        return {
            "step": step,
            "loss": logs["loss"],
            "accuracy": logs.get("accuracy"),
            "lr": logs["lr"],
            "val": self._val,
            "before": self._before,
            "after": [p.data for p in params],
            "grads": None if reached else [p.grad for p in params],
            "dead": _dead_shares(self._relu, acts),
            "checks": self._checks(acts, batch),
            "confusion": self._batch_confusion(logs.get("outputs"), batch),
            "optimizer": self._before_opt,
            "reached": reached,
            "samples": len(batch),
        }

    def _final(self, history: Any) -> dict[str, Any]:
        """The model the run ended with: its weights (the kept ones, if it diverged)."""
        diverged = history.stop_reason == "diverged"
        self._val = self._score_val() if self.X_val is not None else None
        return {
            "step": self._last + 1,
            "final": True,
            "diverged": diverged,
            "loss": None if diverged else history.train_loss,
            "accuracy": None if diverged else history.train_accuracy,
            "lr": history.lr[-1] if history.lr else None,
            "val": self._val,
            "before": [p.data for p in self._params],
            "grads": None,
            "checks": {},
            "confusion": None,
            "reached": False,
            "story": [_end_line(history, self._last + 1)],
        }

    def _checks(self, acts: list | None, batch: Sequence[int]) -> dict[str, Any]:
        """The engine's activations of the page's first examples that are in the batch: the
        page computes them from the weights too, and the tests hold the two equal."""
        if acts is None:
            return {}
        return {str(i): acts[batch.index(i)] for i in self._checked if i in batch}

    def _batch_confusion(self, outputs: Sequence | None, batch: Sequence[int]) -> list | None:
        """The confusion matrix of the step's batch, when the page shows one and the held-out
        set is not scored at this step."""
        if self.meta["learnt"] != "confusion" or self._val is not None or not outputs:
            return None
        predicted = [self._objective.predict(out) for out in outputs]
        labels = [self._state.y[i] for i in batch]
        return _confusion(predicted, labels, self._k)

    # ---- the run ----

    def _meta(self, state: Any) -> dict[str, Any]:
        objective, layers = state.objective, self._layers
        nin = len(layers[0][0].w)
        X = state.X if self._examples_from == "training set" else self.X_val
        y = state.y if self._examples_from == "training set" else self.y_val
        examples = self._examples
        self._k = len(objective.classes) if objective.classes else 0
        if objective.n_outputs > 1:
            self._k = objective.n_outputs
        kept = len(examples)
        shown = f"all {kept}" if kept == len(X) else f"{kept} of the {len(X)}"
        return {
            "title": self.name,
            "task": "classification" if objective.is_classification else "regression",
            "classes": list(self.class_names)
            or ([str(c) for c in range(self._k)] if self._k else []),
            "features": list(self.feature_names) or [f"x{i}" for i in range(nin)],
            "sizes": [nin, *(len(layer) for layer in layers)],
            "activations": [getattr(layer[0], "activation", "linear") for layer in layers],
            "loss": objective.name,
            "loss_kind": objective.kind,
            "outputs": objective.n_outputs,
            "optimizer": type(state.optimizer).__name__,
            "planned_steps": state.steps,
            "every": self.every,
            "thinning": self._thinning(state.steps, shown, X is self.X_val),
            "examples": {
                "from": self._examples_from,
                "index": examples,
                "X": [[rounded(v) for v in X[i]] for i in examples],
                "y": [_label(y[i]) for i in examples],
                "targets": [_label(t) for t in objective.targets_for([y[i] for i in examples])],
            },
            "learnt": "boundary"
            if nin == 2 and objective.is_classification
            else "curve"
            if nin == 1 and not objective.is_classification
            else "confusion",
            "end": None,
        }

    def _thinning(self, steps: int, shown: str, held_out: bool) -> str:
        if self.every == 1:
            what = "every step is recorded"
        else:
            what = (
                f"1 step in {self.every} is recorded (and the last), to keep the page small "
                f"({steps} steps planned)"
            )
        if self.X_val is not None:
            what += f"; the held-out set is scored at {len(self._evals)} of them"
        return (
            what + f"; the page explains {shown} {'held-out' if held_out else 'training'} samples"
        )

    def _pick_examples(self, state: Any) -> list[int]:
        """The samples the page can explain: every point of 1-D and 2-D data (up to 1000,
        spread), else a few of each class, from the held-out set when there is one."""
        nin = len(state.X[0])
        self._examples_from = "training set"
        if nin <= 2:
            n = len(state.X)
            return list(range(n)) if n <= MAX_POINTS else _spread(n, MAX_POINTS)
        y = state.y
        if self.X_val is not None:
            self._examples_from, y = "held-out set", self.y_val
        if not state.objective.is_classification:
            return _spread(len(y), 12)
        chosen: dict[Any, list[int]] = {}
        for i, label in enumerate(y):
            bucket = chosen.setdefault(label, [])
            if len(bucket) < PER_CLASS:
                bucket.append(i)
        return sorted(i for bucket in chosen.values() for i in bucket)

    def _optimizer_state(self) -> tuple[dict, dict] | None:
        """The optimizer's settings and `state_dict()` (its step count and buffers, copied):
        an update of the coming step can then be replayed with its rule."""
        optimizer = self._state.optimizer
        settings = getattr(optimizer, "hyperparameters", None)
        state_dict = getattr(optimizer, "state_dict", None)
        if not callable(settings) or not callable(state_dict):
            return None
        return settings(), state_dict()

    def _score_val(self) -> dict[str, Any] | None:
        """Loss, accuracy and confusion matrix on the held-out set at the current weights."""
        if self.X_val is None:
            return None
        objective = self._objective
        targets, state = objective.targets_for(self.y_val), self._state
        forward = state.compiled_outputs
        try:
            outputs = outputs_of(state.model, self.X_val, objective.n_outputs, forward)
            with no_grad():
                loss = objective.loss_value(outputs, targets).data
        except (OverflowError, ZeroDivisionError, ValueError):
            return {"loss": None, "accuracy": None, "confusion": None}
        confusion = None
        if objective.is_classification:
            predicted = [objective.predict(out) for out in outputs]
            confusion = _confusion(predicted, self.y_val, self._k)
        return {
            "loss": loss,
            "accuracy": objective.accuracy(outputs, self.y_val),
            "confusion": confusion,
        }


# ---- helpers: plain functions of plain values ----


def _label(t: Any) -> Any:
    if isinstance(t, (list, tuple)):
        return [_label(v) for v in t]
    return int(t) if float(t).is_integer() and not isinstance(t, float) else rounded(float(t))


def _text(what: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value


def _texts(what: str, values: Sequence[str] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(f"{what} must be a list of str, not {type(values).__name__}")
    return tuple(_text(f"{what}[{i}]", v) for i, v in enumerate(values))


def _mlp_layers(model: Any) -> list[list]:
    """The model's neurons, layer by layer; a TypeError for a model that is not an MLP."""
    layers = getattr(model, "layers", None)
    ok = (
        isinstance(layers, (list, tuple))
        and layers
        and all(
            getattr(layer, "neurons", None)
            and all(hasattr(n, "w") and type(getattr(n, "b", None)) is Value for n in layer.neurons)
            for layer in layers
        )
    )
    if not ok:
        raise TypeError(
            "LabRecorder records an MLP (a model whose .layers hold neurons with .w and .b, "
            f"as nn.MLP), not {type(model).__name__}"
        )
    return [list(layer.neurons) for layer in layers]


def _dead_shares(relu: list[bool], acts: list | None) -> list[float | None] | None:
    """Per layer, the share of its relus that are 0 for every sample of the batch (None for a
    layer with no relu); None if no activations were read."""
    if acts is None:
        return None
    shares: list[float | None] = []
    for k, is_relu in enumerate(relu):
        if not is_relu:
            shares.append(None)
            continue
        neurons = list(zip(*(sample[k] for sample in acts)))  # per neuron, its batch of outputs
        shares.append(sum(not any(outputs) for outputs in neurons) / len(neurons))
    return shares


def _confusion(predicted: list, labels: Sequence, k: int) -> list[list[int]] | None:
    """matrix[true][predicted] counts (two classes: score > 0 is class 1)."""
    if k < 2:
        k = 2
    matrix = [[0] * k for _ in range(k)]
    for p, t in zip(predicted, labels, strict=True):
        t = int(t) if k > 2 or t >= 0 else 0
        t = 1 if k == 2 and t > 0 else t
        if 0 <= t < k and 0 <= p < k:
            matrix[t][p] += 1
    return matrix


def _spread(n: int, k: int) -> list[int]:
    """k indices spread evenly over range(n)."""
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def _eval_steps(steps: int, every: int, on: bool) -> set[int]:
    """The recorded steps at which the held-out set is scored: up to MAX_EVALS, spread."""
    if not on:
        return set()
    recorded = [s for s in range(steps) if s % every == 0 or s == steps - 1]
    return {recorded[i] for i in _spread(len(recorded), MAX_EVALS)}


def _end(history: Any, steps_done: int) -> dict[str, Any]:
    diverged = history.stop_reason == "diverged"
    return {
        "reason": history.stop_reason,
        "message": history.message,
        "steps": steps_done,
        "diverged_at": steps_done if diverged else None,
        "kept": (steps_done - 1 if steps_done else None) if diverged else None,
    }


def _end_line(history: Any, steps_done: int) -> str:
    if history.stop_reason == "diverged":
        kept = (
            f"the weights of step {steps_done - 1}, the last with a finite loss"
            if steps_done
            else "the initial weights"
        )
        return f"training diverged at step {steps_done}: the model kept {kept}, shown here"
    return f"the end: {history.message}; the model as the run left it"
