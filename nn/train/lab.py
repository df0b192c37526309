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
from collections.abc import Sequence
from typing import Any

from engine import Value, no_grad
from engine.graph import operands
from engine.text import number
from nn.checks import check_int, check_rows, check_targets
from nn.train.callbacks import Callback
from nn.train.labpage import lab_page, write_lab
from nn.train.objective import as_output

__all__ = ["LabRecorder", "lab_page", "write_lab"]

MAX_STEPS = 100  # steps recorded at most: enough to watch, small enough for the page
MAX_EVALS = 20  # times at most the held-out set is scored (each is a pass over all of it)
MAX_POINTS = 1000  # 1-D and 2-D data: points the page shows and can explain
PER_CLASS = 4  # other data: examples per class the page can explain
SHOWN_UPDATES = 3  # the largest weight changes a step spells out with their rule
DIGITS = 5  # significant digits kept of every number


class LabRecorder(Callback):
    """Record a run for the lab page: `meta` (the run) and `steps` (one dict per recorded step).

    Use it as any callback, `fit(..., callbacks=[LabRecorder()])`, then `write_lab(folder,
    recorder)`. At most `max_steps` steps are recorded, evenly spaced (step 0 and the last one
    always); `X_val`, `y_val` are scored at up to 20 of them. `name`, `class_names` and
    `feature_names` label the page (as text: any characters are shown as they are). The model
    must be an MLP (layers of neurons with `w` and `b`), as `nn.MLP` is.
    """

    reads_graph = (
        True  # it reads activations off each step's graph: fit(compile='auto') stays eager
    )

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
        self.steps: list[dict[str, Any]] = []

    # ---- the callback ----

    def on_train_begin(self, state: Any) -> None:
        self._state = state
        self._layers = _mlp_layers(state.model)
        self._params = [p for layer in self._layers for n in layer for p in (*n.w, n.b)]
        self._objective = state.objective
        self.every = max(1, math.ceil(state.steps / self.max_steps))
        self._evals = _eval_steps(state.steps, self.every, self.X_val is not None)
        self._examples = self._pick_examples(state)
        self.meta = self._meta(state)
        self.steps = []
        self._last = -1
        self._before = [p.data for p in self._params]
        self._before_opt = self._optimizer_state()
        self._val = self._score_val() if 0 in self._evals else None

    def on_step_end(self, step: int, logs: dict[str, Any]) -> None:
        self._last = step
        if self._recorded(step):
            self.steps.append(self._record(step, logs))
        self._before = [p.data for p in self._params]
        if self._recorded(step + 1):
            self._before_opt = self._optimizer_state()
            self._val = self._score_val() if step + 1 in self._evals else None

    def on_train_end(self, history: Any) -> None:
        self.steps.append(self._final(history))
        self.meta["end"] = _end(history, self._last + 1)
        self._state = None

    # ---- one recorded step ----

    def _recorded(self, step: int) -> bool:
        return step % self.every == 0 or step == self._state.steps - 1

    def _record(self, step: int, logs: dict[str, Any]) -> dict[str, Any]:
        params, before = self._params, self._before
        acts = _batch_activations(self._layers, logs.get("outputs") or ())
        batch = list(logs.get("batch") or ())
        # a step whose loss reached the target stops before its backward pass and update
        reached = self._state.history.stop_reason == "target_loss"
        record = {
            "step": step,
            "loss": _r(logs["loss"]),
            "accuracy": _r(logs.get("accuracy")),
            "lr": _r(logs["lr"]),
            **self._val_fields(),
            **self._weights(before, None if reached else [p.grad for p in params]),
            "health": None if reached else self._health(before, acts),
            "learnt": self._learnt(acts, batch),
            "checks": self._checks(acts, batch),
            "reached": reached,
        }
        record["updates"] = [] if reached else self._updates(step, logs["lr"], before)
        record["story"] = self._story(record, len(batch))
        return record

    def _final(self, history: Any) -> dict[str, Any]:
        """The model the run ended with: its weights (the kept ones, if it diverged)."""
        diverged = history.stop_reason == "diverged"
        self._val = self._score_val() if self.X_val is not None else None
        weights = self._weights([p.data for p in self._params], None)
        record = {
            "step": self._last + 1,
            "final": True,
            "diverged": diverged,
            "loss": None if diverged else _r(history.train_loss),
            "accuracy": None if diverged else _r(history.train_accuracy),
            "lr": _r(history.lr[-1]) if history.lr else None,
            **self._val_fields(),
            **weights,
            "health": None,
            "learnt": self._learnt(None, []),
            "checks": {},
            "reached": False,
            "updates": [],
        }
        record["story"] = [_end_line(history, self._last + 1)]
        return record

    def _weights(self, data: list[float], grads: list[float] | None) -> dict[str, Any]:
        """Per layer: w (one row per neuron), b, and their grads gw, gb (None when not given)."""
        out: dict[str, list] = {"w": [], "b": [], "gw": [], "gb": []}
        i = 0
        for layer in self._layers:
            nin = len(layer[0].w)
            rows, bias, grows, gbias = [], [], [], []
            for _ in layer:
                rows.append([_r(v) for v in data[i : i + nin]])
                bias.append(_r(data[i + nin]))
                if grads is not None:
                    grows.append([_r(v) for v in grads[i : i + nin]])
                    gbias.append(_r(grads[i + nin]))
                i += nin + 1
            out["w"].append(rows)
            out["b"].append(bias)
            out["gw"].append(grows if grads is not None else None)
            out["gb"].append(gbias if grads is not None else None)
        return out

    def _health(self, before: list[float], acts: list | None) -> list[dict[str, Any]]:
        """Per layer: the gradient's norm, the share of relus off for the whole batch, and
        |update| / |weights| (about 1e-3 is healthy; near 1 the learning rate is too large)."""
        health, i = [], 0
        for k, layer in enumerate(self._layers):
            size = len(layer) * (len(layer[0].w) + 1)
            params = self._params[i : i + size]
            # hypot: no overflow on the way to a norm that is itself a float (a diverging run)
            grad = math.hypot(*(p.grad for p in params))
            moved = math.hypot(*(p.data - b for p, b in zip(params, before[i:])))
            weight = math.hypot(*before[i : i + size])
            health.append(
                {
                    "grad_norm": _r(grad),
                    "dead": _dead_share(layer, acts, k),
                    "update_ratio": _r(moved / weight)
                    if weight and math.isfinite(weight)
                    else None,
                }
            )
            i += size
        return health

    def _learnt(self, acts: list | None, batch: list[int]) -> dict[str, Any]:
        """What the page shows the model has learnt: for 1-D and 2-D inputs it draws the fitted
        curve or the decision boundary from the step's weights itself; else a confusion matrix
        on the held-out set (when scored at this step) or on the step's batch."""
        kind = self.meta["learnt"]
        if kind != "confusion":
            return {"kind": kind}
        if self._val is not None:
            return {"kind": kind, "on": "held-out", "matrix": self._val["confusion"]}
        if acts is None:
            return {"kind": kind, "on": None, "matrix": None}
        objective = self._objective
        predicted = [objective.predict(outs[-1]) for outs in acts]
        labels = [self._state.y[i] for i in batch]
        return {"kind": kind, "on": "batch", "matrix": _confusion(predicted, labels, self._k)}

    def _checks(self, acts: list | None, batch: list[int]) -> dict[str, Any]:
        """The engine's activations of the page's first examples that are in the batch: the
        page computes them from the weights too, and the tests hold the two equal."""
        found = {}
        if acts is None or self.meta["examples"]["from"] != "training set":
            return found
        where = {i: k for k, i in enumerate(batch)}
        for i in self._examples[:3]:
            if i in where:
                found[str(i)] = [[_r(v) for v in layer] for layer in acts[where[i]]]
        return found

    def _updates(self, step: int, lr: float, before: list[float]) -> list[str]:
        """The largest weight changes of the step, each with its rule as `step_steps` says it."""
        params = self._params
        moved = sorted(range(len(params)), key=lambda i: -abs(params[i].data - before[i]))[
            :SHOWN_UPDATES
        ]
        lines = _update_lines(self._state.optimizer, self._before_opt, params, before, moved, lr)
        if lines is None:  # an optimizer that cannot show its rule: the change alone
            lines = [
                f"{_name(params[i], i)} ← {number(before[i])} → {number(params[i].data)}"
                for i in moved
            ]
        return lines

    def _story(self, record: dict[str, Any], samples: int) -> list[str]:
        """The step in words: forward, loss, backward, update (the batch's side of the story)."""
        accuracy = record["accuracy"]
        lines = [
            f"forward: {samples} samples through the network"
            + (f", {accuracy:.1%} classified right" if accuracy is not None else ""),
            f"loss: {self._objective.name} of the batch, with the L2 term if any, "
            f"= {_show(record['loss'])}",
        ]
        if record["reached"]:
            return [*lines, "stop: the loss reached the target: no backward pass, no update"]
        return [
            *lines,
            "backward: gradient norm per layer "
            + ", ".join(
                f"L{k + 1} {_show(h['grad_norm'])}" for k, h in enumerate(record["health"])
            ),
            f"update: {type(self._state.optimizer).__name__} with lr {_show(record['lr'])}, "
            "the largest changes:",
        ]

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
                "X": [[_r(v) for v in X[i]] for i in examples],
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

    def _optimizer_state(self) -> dict | None:
        """The optimizer's `state_dict()` (its step count and buffers, copied): an update of
        the coming step can then be replayed with its rule."""
        state_dict = getattr(self._state.optimizer, "state_dict", None)
        return state_dict() if callable(state_dict) else None

    def _score_val(self) -> dict[str, Any] | None:
        """Loss, accuracy and confusion matrix on the held-out set at the current weights."""
        if self.X_val is None:
            return None
        objective = self._objective
        targets = objective.targets_for(self.y_val)
        with no_grad():
            try:
                outputs = [as_output(self._state.model(x), objective.n_outputs) for x in self.X_val]
                loss = objective.loss_value(outputs, targets).data
            except (OverflowError, ZeroDivisionError, ValueError):
                return {"loss": None, "accuracy": None, "confusion": None}
        confusion = None
        if objective.is_classification:
            predicted = [objective.predict(out) for out in outputs]
            confusion = _confusion(predicted, self.y_val, self._k)
        return {
            "loss": _r(loss),
            "accuracy": _r(objective.accuracy(outputs, self.y_val)),
            "confusion": confusion,
        }

    def _val_fields(self) -> dict[str, Any]:
        val = self._val or {}
        return {"val_loss": val.get("loss"), "val_accuracy": val.get("accuracy")}


# ---- helpers: plain functions of plain values ----


def _r(x: float | None) -> float | None:
    """`x` to DIGITS significant digits, or None when it is not a finite number (JSON has no
    NaN or inf: the page says 'not finite')."""
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{DIGITS}g}")


def _show(x: float | None) -> str:
    return "not finite" if x is None else number(x)


def _label(t: Any) -> Any:
    if isinstance(t, (list, tuple)):
        return [_label(v) for v in t]
    return int(t) if float(t).is_integer() and not isinstance(t, float) else _r(float(t))


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


def _batch_activations(layers: list[list], outputs: Sequence) -> list | None:
    """Every neuron's output for each sample of the batch, read off the step's graph (no
    forward pass is run again): per sample, one list per layer. None if the graph is not an
    nn MLP's (one dot node per neuron, then its activation)."""
    found = []
    try:
        for out in outputs:
            last = [out] if type(out) is Value else list(out)
            per_layer = [[v.data for v in last]]
            node = last[0]
            for layer in reversed(layers[1:]):
                total = node if node.op == "dot" else operands(node)[0]
                xs = operands(total)
                nin = len(layer[0].w)
                inputs = xs[nin + 1 : 2 * nin + 1]
                per_layer.append([v.data for v in inputs])
                node = inputs[0]
            per_layer.reverse()
            found.append(per_layer)
    except (AttributeError, IndexError, TypeError):
        return None
    return found if found else None


def _dead_share(layer: list, acts: list | None, k: int) -> float | None:
    """The share of the layer's relus that are 0 for every sample of the batch (None if the
    layer has no relu, or no activations were read)."""
    if acts is None or getattr(layer[0], "activation", None) != "relu":
        return None
    alive = [False] * len(layer)
    for sample in acts:
        for j, v in enumerate(sample[k]):
            if v != 0.0:
                alive[j] = True
    return _r(alive.count(False) / len(layer))


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


def _update_lines(
    optimizer: Any, state: dict | None, params: list, before: list, moved: list[int], lr: float
) -> list[str] | None:
    """The update of parameters `moved` as `step_steps` prints it, replayed on copies: the
    same optimizer class with their state before the step; None if it cannot be replayed
    exactly (an optimizer without `step_steps`, or a replay that lands elsewhere)."""
    if state is None or not callable(getattr(optimizer, "hyperparameters", None)):
        return None
    try:
        settings = {**optimizer.hyperparameters(), "lr": lr}
        copies = []
        for i in moved:
            v = Value(before[i], label=_name(params[i], i))
            v.grad = params[i].grad
            copies.append(v)
        replay = type(optimizer)(copies, **settings)
        replay.load_state_dict(
            {
                name: [values[i] for i in moved] if isinstance(values, list) else values
                for name, values in {**state, "lr": lr}.items()
            }
        )
        lines = [line for update in replay.step_steps() for line in update.lines]
    except Exception:  # noqa: BLE001 - any optimizer of the user's: show the change alone
        return None
    if any(c.data != params[i].data for c, i in zip(copies, moved)):
        return None
    return lines


def _name(p: Value, i: int) -> str:
    return p.label or f"params[{i}]"


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
