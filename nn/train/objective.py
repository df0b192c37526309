"""`Objective`: a loss, the target format it wants (±1, 0/1, class indices, floats), accuracy.

`fit` builds one from a loss name (or a callable) and the model's number of outputs; callbacks
and the command line use it to compute one sample's loss or an accuracy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import nn.losses
from engine import Value, no_grad
from nn.checks import check_number, is_sequence

# Loss names `fit` accepts, and the function of `nn.losses` each one means.
LOSSES = {
    "mse": "mse",
    "l1": "l1",
    "huber": "huber",
    "hinge": "hinge",
    "bce": "binary_cross_entropy",
    "binary_cross_entropy": "binary_cross_entropy",
    "cross_entropy": "cross_entropy",
    "ce": "cross_entropy",
}
REGRESSION_LOSSES = ("mse", "l1", "huber")


class Objective:
    """A loss with the target format it wants, and how to score predictions against labels.

    Built by `fit` from a loss name (or callable) and the model's number of outputs; the
    callbacks and the command line use it to compute one sample's loss or an accuracy.
    """

    def __init__(self, loss: str | Callable, n_outputs: int, y: Sequence) -> None:
        self.n_outputs = n_outputs
        labels = _class_labels(y)
        if callable(loss):
            self.name = getattr(loss, "__name__", "custom")
            self.fn = loss
            self.kind = "custom"
            self.targets = list(y)
            self.classes = labels if _fits_classes(labels, n_outputs) else None
            return
        if not isinstance(loss, str):
            raise TypeError(
                f"loss must be a name or a callable(preds, targets) -> Value, "
                f"not {type(loss).__name__}"
            )
        if loss == "auto":
            loss = _auto_loss(labels, n_outputs)
        if loss not in LOSSES:
            raise ValueError(
                f"unknown loss {loss!r}; choose one of {', '.join(sorted(LOSSES))} "
                "or pass a callable(preds, targets) -> Value"
            )
        self.name = LOSSES[loss]
        self.fn = getattr(nn.losses, self.name)
        self.kind = self.name if self.name not in REGRESSION_LOSSES else "regression"
        self.classes = labels if self.kind != "regression" else None
        self.targets = self.targets_for(y)

    def targets_for(self, labels: Sequence) -> list:
        """`labels` as this loss wants them: ±1 for hinge, 0/1 for BCE, indices for CE, floats
        (or one-hot rows) for regression; a custom loss gets them as they are."""
        y = list(labels)
        if self.kind == "custom":
            return y
        name, n = self.name, self.n_outputs
        if self.kind in ("hinge", "binary_cross_entropy"):
            if n != 1:
                raise ValueError(f"{name} needs a model with one output, this one has {n}")
            if not _fits_classes(self.classes, 1):
                raise ValueError(
                    f"{name} needs two classes labelled 0/1 (or -1/+1), got labels {_some(set(y))}"
                )
            if name == "hinge":
                return [1.0 if t > 0 else -1.0 for t in y]
            return [1.0 if t > 0 else 0.0 for t in y]
        if self.kind == "cross_entropy":
            if self.classes is None or not _fits_classes(self.classes, n) or n < 2:
                raise ValueError(
                    f"cross_entropy needs class indices 0..{n - 1} (one logit per class), "
                    f"got labels {_some(set(y))} for a model with {n} output(s)"
                )
            return [int(t) for t in y]
        # regression: floats, one-hot for class labels of a multi-output model, rows flattened
        if n == 1:
            return [check_number("y", t) if not is_sequence(t) else _single(t) for t in y]
        if all(is_sequence(t) for t in y):
            return [[check_number("y", v) for v in t] for t in y]
        if self.classes is not None and _fits_classes(self.classes, n):
            return [[1.0 if j == int(t) else 0.0 for j in range(n)] for t in y]
        raise ValueError(
            f"{name} with a {n}-output model needs rows of {n} targets or class indices"
        )

    @property
    def is_classification(self) -> bool:
        return self.classes is not None

    def preds_and_targets(self, outputs: list, targets: list) -> tuple[list, list]:
        """What to hand to the loss function: per-sample outputs, flattened for regression."""
        if self.kind == "regression" and self.n_outputs > 1:
            return [v for out in outputs for v in out], [t for row in targets for t in row]
        return outputs, targets

    def loss_value(self, outputs: list, targets: list) -> Value:
        preds, targets = self.preds_and_targets(outputs, targets)
        out = self.fn(preds, targets)
        if type(out) is not Value:
            raise TypeError(f"the loss {self.name} must return a Value, not {type(out).__name__}")
        return out

    def predict(self, output) -> float | int:
        """The class a model output stands for: score > 0 (one output) or argmax (several)."""
        if self.n_outputs == 1:
            return 1 if _data(output) > 0.0 else 0
        scores = [v.data if type(v) is Value else float(v) for v in output]
        return max(range(len(scores)), key=scores.__getitem__)

    def accuracy(self, outputs: list, labels: Sequence) -> float | None:
        """Fraction of samples whose predicted class is their label; None for regression."""
        if not self.is_classification or not outputs:
            return None
        hits = 0
        for out, label in zip(outputs, labels, strict=True):
            pred = self.predict(out)
            truth = (1 if label > 0 else 0) if self.n_outputs == 1 else int(label)
            hits += pred == truth
        return hits / len(outputs)


def output_count(model, x: Sequence[float]) -> int:
    """How many numbers `model` returns for one sample (a bare Value counts as one)."""
    with no_grad():
        out = model(list(x))
    if type(out) is Value:
        return 1
    if isinstance(out, (list, tuple)) and out and all(type(v) is Value for v in out):
        return len(out)
    raise TypeError(f"the model must return a Value or a list of Values, not {type(out).__name__}")


def as_output(out, n_outputs: int):
    """A one-output model's prediction as a bare Value, whatever the model returned."""
    if n_outputs == 1 and type(out) is not Value:
        return out[0]
    return out


def sample_loss(model, objective: Objective, x: list[float], target, skip_layers: int = 0) -> Value:
    """One sample's data loss as a graph of its own (no L2 term). With `skip_layers`, an MLP's
    first layers run without recording: their outputs are leaves, so the graph holds only the
    later layers."""
    if skip_layers:
        layers = getattr(model, "layers", None)
        if not layers or skip_layers >= len(layers):
            raise ValueError(f"cannot skip {skip_layers} layers of {type(model).__name__}")
        with no_grad():
            for layer in layers[:skip_layers]:
                x = layer(x)
        for layer in layers[skip_layers:]:
            x = layer(x)
        out = x
    else:
        out = model(x)
    return objective.loss_value([as_output(out, objective.n_outputs)], [target])


def _class_labels(y: list) -> list[int] | None:
    """The sorted distinct labels if every target is a whole number, else None."""
    seen = set()
    for t in y:
        if is_sequence(t) or not float(t).is_integer():
            return None
        seen.add(int(t))
    return sorted(seen)


def _fits_classes(labels: list[int] | None, n_outputs: int) -> bool:
    if labels is None:
        return False
    if n_outputs == 1:
        return set(labels) <= {0, 1} or set(labels) <= {-1, 1}
    return labels[0] >= 0 and labels[-1] < n_outputs


def _auto_loss(labels: list[int] | None, n_outputs: int) -> str:
    if n_outputs > 1 and _fits_classes(labels, n_outputs):
        return "cross_entropy"
    if n_outputs == 1 and _fits_classes(labels, 1) and len(labels) == 2:
        return "hinge"
    return "mse"


def _single(t) -> float:
    if len(t) != 1:
        raise ValueError(f"a one-output model needs one target per sample, got {len(t)}")
    return check_number("y", t[0])


def _data(v) -> float:
    return v.data if type(v) is Value else float(v)


def _some(values: set) -> str:
    shown = sorted(values, key=repr)[:6]
    return "{" + ", ".join(map(repr, shown)) + (", ...}" if len(values) > 6 else "}")
