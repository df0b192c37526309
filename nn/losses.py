"""Loss functions: each returns one Value, the mean over the samples (PyTorch's reduction='mean').

`preds` is a list with one Value per sample, or a list of per-sample lists (then the mean runs
over every element); `targets` has the same shape, with plain numbers. Each loss follows
PyTorch's definition of the loss of the same name, and the ones with exponentials are written
in their stable forms, so logits of ±100 give a finite loss and an exact gradient.

>>> from engine import Value
>>> from nn.losses import mse
>>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data
2.5
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral, Real

import engine
from engine import Value, dot


def mse(preds: Sequence[Value] | Sequence[Sequence[Value]], targets: Sequence) -> Value:
    """mean((p - t)²): the sum of squares is one `dot` node of the differences with themselves."""
    ps, ts = _pairs(preds, targets, "mse")
    diffs = [p - t for p, t in zip(ps, ts, strict=True)]
    return dot(diffs, diffs) / len(diffs)


def l1(preds: Sequence[Value] | Sequence[Sequence[Value]], targets: Sequence) -> Value:
    """mean(|p - t|): less pulled by outliers than mse."""
    ps, ts = _pairs(preds, targets, "l1")
    return engine.sum([abs(p - t) for p, t in zip(ps, ts, strict=True)]) / len(ps)


def huber(
    preds: Sequence[Value] | Sequence[Sequence[Value]], targets: Sequence, delta: float = 1.0
) -> Value:
    """mean of ½d² where |d| < delta, else delta·(|d| - ½delta), for d = p - t (as torch's)."""
    if isinstance(delta, bool) or not isinstance(delta, Real) or not delta > 0:
        raise ValueError(f"delta must be a positive number, got {delta!r}")
    delta = float(delta)
    ps, ts = _pairs(preds, targets, "huber")
    terms = []
    for p, t in zip(ps, ts, strict=True):
        d = p - t
        if abs(d.data) < delta:
            terms.append(0.5 * (d * d))
        else:
            terms.append(delta * (abs(d) - 0.5 * delta))
    return engine.sum(terms) / len(terms)


def hinge(scores: Sequence[Value] | Sequence[Sequence[Value]], labels: Sequence) -> Value:
    """mean(max(0, 1 - y·s)) for labels y = ±1: micrograd's demo loss (an SVM's margin loss)."""
    ss, ys = _pairs(scores, labels, "hinge", "labels")
    bad = [i for i, y in enumerate(ys) if y != 1.0 and y != -1.0]
    if bad:
        raise ValueError(
            f"hinge labels must be -1 or 1; labels at {_indices(bad)} are {ys[bad[0]]!r}..."
            " (for 0/1 labels use 2*y - 1, or binary_cross_entropy)"
        )
    return engine.sum([(1.0 - y * s).relu() for s, y in zip(ss, ys, strict=True)]) / len(ss)


def binary_cross_entropy(
    logits: Sequence[Value] | Sequence[Sequence[Value]], targets: Sequence
) -> Value:
    """mean(-[t·log σ(x) + (1 - t)·log(1 - σ(x))]) from logits x, as torch's BCEWithLogitsLoss.

    Written as x - x·t + log(1 + e^-x) for x >= 0 and -x·t + log(1 + e^x) for x < 0, so the
    exponential never overflows and the gradient, σ(x) - t, is exact at every logit.
    """
    xs, ts = _pairs(logits, targets, "binary_cross_entropy")
    bad = [i for i, t in enumerate(ts) if not 0.0 <= t <= 1.0]
    if bad:
        raise ValueError(
            f"binary_cross_entropy targets must be in [0, 1] (0/1 labels or probabilities); "
            f"targets at {_indices(bad)} are {ts[bad[0]]!r}..."
        )
    terms = []
    for x, t in zip(xs, ts, strict=True):
        if x.data >= 0.0:
            terms.append(x * (1.0 - t) + ((-x).exp() + 1.0).log())
        else:
            terms.append(x * -t + (x.exp() + 1.0).log())
    return engine.sum(terms) / len(terms)


def cross_entropy(logits: Sequence[Sequence[Value]], targets: Sequence[int]) -> Value:
    """mean(-log softmax(z)[target]) over samples, as torch's CrossEntropyLoss.

    `logits` holds one list of class scores per sample, `targets` the class indices. Computed
    from the shifted logits s = z - max(z) (the max as a constant) as log Σ exp(s_j) - s_target,
    so nothing overflows and a common offset, even 1e16, cancels before the log.
    """
    rows = _rows(logits)
    targets = _sequence(targets, "cross_entropy", "targets")
    if len(rows) != len(targets):
        raise ValueError(
            f"cross_entropy got {len(rows)} samples of logits but {len(targets)} targets"
        )
    classes = len(rows[0])
    terms = []
    for i, (z, target) in enumerate(zip(rows, targets, strict=True)):
        if isinstance(target, bool) or not isinstance(target, Integral):
            raise TypeError(
                f"cross_entropy targets must be int class indices; targets[{i}] is "
                f"{type(target).__name__} {target!r}"
            )
        if not 0 <= target < classes:
            raise ValueError(
                f"cross_entropy targets must be class indices in 0..{classes - 1}; "
                f"targets[{i}] is {target}"
            )
        m = max([zj.data for zj in z])
        shifted = [zj - m for zj in z]
        terms.append(engine.sum([s.exp() for s in shifted]).log() - shifted[int(target)])
    return engine.sum(terms) / len(terms)


def l2(params: Iterable[Value]) -> Value:
    """Σ p²: a weight penalty to add to a loss (e.g. `loss + 1e-4 * l2(model.parameters())`)."""
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    params = _sequence(params, "l2", "params")
    if not params:
        raise ValueError("l2 needs at least one parameter, got none")
    for i, p in enumerate(params):
        if type(p) is not Value:
            raise TypeError(f"l2 params must be Values; params[{i}] is {type(p).__name__}")
    return dot(params, params)


# ---- shapes and checks ----


def _sequence(xs, loss: str, what: str) -> list:
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Iterable):
        raise TypeError(f"{loss} {what} must be a list, not {type(xs).__name__}")
    return list(xs)


def _pairs(preds, targets, loss: str, what: str = "targets") -> tuple[list, list[float]]:
    """Predictions and targets flattened to two equally long lists (targets as floats)."""
    if type(preds) is Value:  # a single sample, e.g. an MLP's one output
        preds, targets = [preds], [targets]
    preds = _sequence(preds, loss, "preds")
    targets = _sequence(targets, loss, what)
    if len(preds) != len(targets):
        raise ValueError(f"{loss} got {len(preds)} predictions but {len(targets)} {what}")
    if not preds:
        raise ValueError(f"{loss} needs at least one sample, got empty lists")
    ps: list = []
    ts: list[float] = []
    for i, (p, t) in enumerate(zip(preds, targets, strict=True)):
        if type(p) is Value:
            ps.append(p)
            ts.append(_number(t, f"{loss} {what}[{i}]"))
            continue
        if isinstance(p, (str, bytes)) or not isinstance(p, Iterable):
            raise TypeError(_not_value(loss, "preds", f"[{i}]", p))
        p = list(p)
        t = _sequence(t, loss, f"{what}[{i}]")
        if len(p) != len(t):
            raise ValueError(f"{loss}: sample {i} has {len(p)} predictions but {len(t)} {what}")
        for j, (pj, tj) in enumerate(zip(p, t, strict=True)):
            if type(pj) is not Value:
                raise TypeError(_not_value(loss, "preds", f"[{i}][{j}]", pj))
            ps.append(pj)
            ts.append(_number(tj, f"{loss} {what}[{i}][{j}]"))
    if not ps:
        raise ValueError(f"{loss} needs at least one prediction, got only empty samples")
    return ps, ts


def _rows(logits) -> list[list]:
    rows = _sequence(logits, "cross_entropy", "logits")
    if not rows:
        raise ValueError("cross_entropy needs at least one sample, got empty lists")
    out = []
    for i, row in enumerate(rows):
        if type(row) is Value:
            raise TypeError(
                "cross_entropy logits must be one list of class scores per sample, "
                f"e.g. [[z0, z1, z2], ...]; logits[{i}] is a single {type(row).__name__}"
            )
        row = _sequence(row, "cross_entropy", f"logits[{i}]")
        for j, z in enumerate(row):
            if type(z) is not Value:
                raise TypeError(_not_value("cross_entropy", "logits", f"[{i}][{j}]", z))
        if not row or len(row) != len(rows[0]):
            raise ValueError(
                f"cross_entropy needs the same number (>= 1) of classes in every sample; "
                f"logits[0] has {len(rows[0])}, logits[{i}] has {len(row)}"
            )
        out.append(row)
    return out


def _not_value(loss: str, what: str, where: str, x) -> str:
    return (
        f"{loss} {what} must be Values (a model's outputs); {what}{where} is "
        f"{type(x).__name__} {x!r}"
    )


def _is_number(x) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def _number(t, what: str) -> float:
    if not _is_number(t):
        hint = " (use .data for a Value)" if type(t) is Value else ""
        raise TypeError(f"{what} must be a number, not {type(t).__name__}{hint}")
    t = float(t)
    if not math.isfinite(t):
        raise ValueError(f"{what} must be finite, got {t!r}")
    return t


def _indices(indices: list[int], limit: int = 5) -> str:
    shown = ", ".join(map(str, indices[:limit]))
    return f"[{shown}{', ...' if len(indices) > limit else ''}]"
