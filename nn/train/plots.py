"""Pictures of a training run, written to PNG files: curves, a decision boundary, a fitted curve.

Figures are drawn on a bare `matplotlib.figure.Figure`, not through pyplot: no window, works on
a server, and the caller's backend is left alone (in a notebook, `nn.plots` must not stop its
figures from showing). matplotlib is imported only when a plot is drawn, so `import nn` stays
light. Every file is written whole (temp file + rename).

A diverged run's numbers can be too big to draw: matplotlib's tick arithmetic overflows long
before float does (a loss of 5e234 on a log axis breaks it; up to 1e150 drew in a few hundred
random panels). Values beyond `DRAWABLE`, inf and NaN are left out as gaps and the picture
says so; a picture with nothing to draw raises ValueError.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from typing import Any

from engine import Value, no_grad
from engine.files import write_atomic
from nn.train.loop import MATH_ERRORS

DRAWABLE = 1e150  # the largest |value| a picture shows; beyond it, a gap and a note


def _figure(figsize: tuple[float, float]):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


# 150 dpi: a 6.4-inch-wide figure is 960 pixels, sharp in a notebook column and on a projector
# (1080 lines tall at most), with its 10-point text about 21 pixels high.
DPI = 150


def _save(fig, path: str | os.PathLike) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    write_atomic(path, buffer.getvalue())
    return os.fspath(path)


def loss_curves(
    history: Any,
    path: str | os.PathLike,
    title: str | None = None,
    smooth: int | None = None,
) -> str:
    """Loss, accuracy (when there is one) and learning rate against the step, stacked panels.

    The training curves are per step; with `smooth` (e.g. the steps of one epoch) each is also
    drawn as the mean of the last `smooth` steps, the raw steps faint behind it, so that
    minibatch noise does not hide the trend. Held-out scores (`history.val_steps`, from
    `fit(X_val=...)`) are drawn on the same axes, with the step count they were measured at.
    """
    steps = list(range(len(history.loss)))
    loss, loss_gaps = _drawable(history.loss)
    lr, lr_gaps = _drawable(history.lr)
    accuracy = [a for a in history.accuracy if a is not None]
    val_steps = list(getattr(history, "val_steps", []))
    val_accuracy = [_nan(a) for a in getattr(history, "val_accuracies", [])]
    panels = 3 if accuracy else 2
    fig = _figure((6.4, 2.0 * panels + 0.4))
    axes = fig.subplots(panels, 1, sharex=True)
    ax = axes[0]
    val_loss = [_nan(v) for v in getattr(history, "val_losses", [])]
    _train_and_held_out(ax, steps, loss, val_steps, val_loss, smooth, "tab:blue")
    shown = [v for v in [*loss, *val_loss] if not math.isnan(v)]
    if shown and min(shown) > 0:
        ax.set_yscale("log")
    ax.set_ylabel("loss")
    if val_steps or smooth:
        ax.legend(loc="upper right", fontsize=10, framealpha=0.85)
    _gap_note(ax, loss_gaps, "loss")
    if title:
        ax.set_title(title)
    if accuracy:
        ax = axes[1]
        train = [_nan(a) for a in history.accuracy]
        _train_and_held_out(ax, steps, train, val_steps, val_accuracy, smooth, "tab:green")
        ax.set_ylabel("accuracy")
        ax.set_ylim(-0.02, 1.02)
        if val_steps or smooth:
            ax.legend(loc="lower right", fontsize=10, framealpha=0.85)
    ax = axes[-1]
    ax.plot(steps, lr, color="tab:orange", lw=1.5)
    ax.set_ylabel("learning rate")
    ax.set_xlabel("step")
    _gap_note(ax, lr_gaps, "learning rate")
    for ax in axes:
        ax.grid(alpha=0.3)
    return _save(fig, path)


def _train_and_held_out(ax, steps, train, val_steps, val, smooth, color) -> None:
    """One panel's curves: training per step (and smoothed), held-out at its own steps."""
    if smooth and smooth > 1:
        ax.plot(steps, train, color=color, lw=0.8, alpha=0.3)
        label = f"train, mean over an epoch ({smooth} steps)"
        ax.plot(steps, _window_mean(train, smooth), color=color, lw=1.8, label=label)
    else:
        ax.plot(steps, train, color=color, lw=1.5, label="train, per step")
    if val_steps:
        ax.plot(val_steps, val, color="tab:red", lw=1.5, marker="o", ms=3, label="held-out")


def _window_mean(values: Sequence[float], window: int) -> list[float]:
    """Each value as the mean of the `window` values centred on it (fewer at the ends), so the
    smoothed curve does not lag behind the steps as a trailing mean would."""
    prefix = [0.0]
    for v in values:
        prefix.append(prefix[-1] + v)
    n, half = len(values), window // 2
    out = []
    for i in range(n):
        lo, hi = max(0, i - half), min(n, i - half + window)
        out.append((prefix[hi] - prefix[lo]) / (hi - lo))
    return out


def _nan(x: float | None) -> float:
    """None (a score that could not be computed) as NaN: a gap in the curve."""
    return float("nan") if x is None else x


def decision_boundary(
    model: Any,
    X: Sequence[Sequence[float]],
    y: Sequence,
    path: str | os.PathLike,
    title: str | None = None,
    resolution: int = 100,
    class_names: Sequence[str] | None = None,
) -> str:
    """The class the model predicts over a grid around 2-D data, with the data on top.

    One output: class 1 where the score is > 0 (and the score-0 line); several: the argmax.
    """
    if not X or len(X[0]) != 2:
        raise ValueError("decision_boundary needs 2-D inputs (two features per sample)")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    xs = [row[0] for row in X]
    ys = [row[1] for row in X]
    pad_x = 0.1 * (max(xs) - min(xs) or 1.0)
    pad_y = 0.1 * (max(ys) - min(ys) or 1.0)
    gx = _linspace(min(xs) - pad_x, max(xs) + pad_x, resolution)
    gy = _linspace(min(ys) - pad_y, max(ys) + pad_y, resolution)
    scores, classes = _predict_grid(model, gx, gy)
    defined = [c for row in classes for c in row if not math.isnan(c)]
    if not defined:
        raise ValueError("the model's outputs are inf or NaN all over the grid: nothing to draw")
    labels = [(1 if t > 0 else 0) if scores else int(t) for t in y]
    n_classes = int(max(max(labels), max(defined))) + 1
    from matplotlib.colors import ListedColormap

    palette = ["tab:blue", "tab:red"] if n_classes == 2 else _TAB10[:n_classes]
    palette = palette + ["tab:gray"] * (n_classes - len(palette))
    fig = _figure((6.4, 5.6))
    ax = fig.subplots()
    # Each grid cell gets the colour of the class predicted there: a contour over class indices
    # would draw a false band of class 1 wherever class 0 meets class 2.
    dx, dy = (gx[1] - gx[0]) / 2, (gy[1] - gy[0]) / 2
    ax.imshow(
        classes,
        origin="lower",
        extent=(gx[0] - dx, gx[-1] + dx, gy[0] - dy, gy[-1] + dy),
        aspect="auto",
        interpolation="nearest",
        cmap=ListedColormap(palette),
        vmin=-0.5,
        vmax=n_classes - 0.5,
        alpha=0.3,
    )
    shown = [v for row in scores for v in row if not math.isnan(v)]
    if shown and min(shown) < 0.0 < max(shown):
        ax.contour(gx, gy, scores, levels=[0.0], colors="k", linewidths=1.0)
    if len(defined) < resolution * resolution:
        ax.set_xlabel("blank: the model's output is not finite there")
    for k in range(n_classes):
        pts = [(xs[i], ys[i]) for i, t in enumerate(labels) if t == k]
        if not pts:
            continue
        name = class_names[k] if class_names and k < len(class_names) else f"class {k}"
        ax.scatter(
            [p[0] for p in pts],
            [p[1] for p in pts],
            s=22,
            color=palette[k],
            edgecolors="k",
            linewidths=0.5,
            label=name,
        )
    ax.set_xlim(gx[0], gx[-1])
    ax.set_ylim(gy[0], gy[-1])
    ax.legend(loc="best", fontsize=10, framealpha=0.8)
    if title:
        ax.set_title(title)
    return _save(fig, path)


def regression_fit(
    model: Any,
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    path: str | os.PathLike,
    title: str | None = None,
    resolution: int = 200,
) -> str:
    """For 1-D regression: the data as points and the model's prediction as a curve."""
    if not X or len(X[0]) != 1:
        raise ValueError("regression_fit needs 1-D inputs (one feature per sample)")
    xs = [row[0] for row in X]
    grid = _linspace(min(xs), max(xs), resolution)
    pred, gaps = _drawable(_predictions(model, grid))
    if gaps == len(pred):
        raise ValueError(
            f"the model's predictions are all inf, NaN or beyond ±{DRAWABLE:.0e}: nothing to draw"
        )
    fig = _figure((6.4, 4.2))
    ax = fig.subplots()
    ax.scatter(xs, [float(t) for t in y], s=14, color="tab:blue", alpha=0.7, label="data")
    ax.plot(grid, pred, color="tab:red", lw=2.0, label="model")
    ax.legend(loc="best", fontsize=10)
    ax.grid(alpha=0.3)
    _gap_note(ax, gaps, "prediction", "point")
    if title:
        ax.set_title(title)
    return _save(fig, path)


_TAB10 = [
    f"tab:{c}"
    for c in ("blue", "orange", "green", "red", "purple", "brown", "pink", "gray", "olive", "cyan")
]


def _predict_grid(model: Any, gx: list[float], gy: list[float]) -> tuple[list, list]:
    """(scores, classes) over the grid, rows along gy; NaN where the model's output is not
    finite. `scores` is empty for a model with several outputs (the class is their argmax)."""
    scores, classes = [], []
    with no_grad():
        for b in gy:
            score_row, class_row = [], []
            for a in gx:
                values = _outputs(model, [a, b])
                finite = all(math.isfinite(v) for v in values)
                if len(values) == 1:
                    s = values[0]
                    score_row.append(max(-DRAWABLE, min(DRAWABLE, s)) if finite else math.nan)
                    class_row.append((1 if s > 0.0 else 0) if finite else math.nan)
                else:
                    best = max(range(len(values)), key=values.__getitem__)
                    class_row.append(best if finite else math.nan)
            if score_row:
                scores.append(score_row)
            classes.append(class_row)
    return scores, classes


def _outputs(model: Any, x: list[float]) -> list[float]:
    """The model's outputs at x as floats; [nan] when computing them leaves float range."""
    try:
        out = model(x)
    except MATH_ERRORS:
        return [math.nan]
    return [out.data] if type(out) is Value else [v.data for v in out]


def _predictions(model: Any, grid: list[float]) -> list[float]:
    with no_grad():
        return [_outputs(model, [a])[0] for a in grid]


def _drawable(values: Sequence[float]) -> tuple[list[float], int]:
    """The values as a picture shows them (NaN, inf and |v| > DRAWABLE become gaps), and how
    many gaps that made."""
    shown = [v if math.isfinite(v) and abs(v) <= DRAWABLE else math.nan for v in values]
    return shown, sum(1 for v in shown if math.isnan(v))


def _gap_note(ax: Any, gaps: int, what: str, unit: str = "step") -> None:
    """Say on the panel that `gaps` values were left out, rather than leave a silent hole."""
    if gaps:
        units = unit if gaps == 1 else f"{unit}s"
        ax.text(
            0.99,
            0.04,
            f"{gaps} {units} not drawn: {what} inf, NaN or beyond ±{DRAWABLE:.0e}",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=10,
            color="tab:red",
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
        )


def _linspace(lo: float, hi: float, n: int) -> list[float]:
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]
