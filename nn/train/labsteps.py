"""The lab's recorded steps as its page reads them: rounded, laid out per layer, told in words.

`LabRecorder` keeps each step's raw numbers (the weights and gradients as lists of floats, the
optimizer's state, what the activations said), so that recording costs a compiled step little;
`page_step` shapes one such record, once, when the page is written or served: every number to
DIGITS significant digits, the weights per layer and neuron, each layer's health, the largest
updates replayed with their rule, and the step's story.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine import Value
from engine.text import number

SHOWN_UPDATES = 3  # the largest weight changes a step spells out with their rule
DIGITS = 5  # significant digits kept of every number


@dataclass(frozen=True)
class RunFacts:
    """What shaping a step needs to know of the run, fixed when training begins."""

    sizes: tuple[tuple[int, int], ...]  # per layer: (neurons, inputs per neuron)
    names: tuple[str, ...]  # each parameter's label, in model.parameters() order
    optimizer: type  # its rule replays a step's largest updates
    loss: str  # the objective's name
    learnt: str  # what the page draws: 'boundary', 'curve' or 'confusion'


def page_step(raw: dict[str, Any], run: RunFacts) -> dict[str, Any]:
    """A recorded step (or the final entry) as the page's data: plain JSON values."""
    final = raw.get("final", False)
    head: dict[str, Any] = {"step": raw["step"]}
    if final:
        head.update(final=True, diverged=raw["diverged"])
    val = raw["val"] or {}
    record = {
        **head,
        "loss": rounded(raw["loss"]),
        "accuracy": rounded(raw["accuracy"]),
        "lr": rounded(raw["lr"]),
        "val_loss": rounded(val.get("loss")),
        "val_accuracy": rounded(val.get("accuracy")),
        **_weights(raw["before"], raw["grads"], run.sizes),
        "health": None if raw["grads"] is None else _health(raw, run.sizes),
        "learnt": _learnt(raw, run.learnt),
        "checks": {
            i: [[rounded(v) for v in layer] for layer in acts] for i, acts in raw["checks"].items()
        },
        "reached": raw["reached"],
    }
    record["updates"] = [] if raw["grads"] is None else _updates(raw, run)
    record["story"] = raw["story"] if final else _story(record, raw["samples"], run)
    return record


def rounded(x: float | None) -> float | None:
    """`x` to DIGITS significant digits, or None when it is not a finite number (JSON has no
    NaN or inf: the page says 'not finite')."""
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{DIGITS}g}")


def shown(x: float | None) -> str:
    return "not finite" if x is None else number(x)


def _weights(
    data: list[float], grads: list[float] | None, sizes: tuple[tuple[int, int], ...]
) -> dict[str, Any]:
    """Per layer: w (one row per neuron), b, and their grads gw, gb (None when not given)."""
    out: dict[str, list] = {"w": [], "b": [], "gw": [], "gb": []}
    i = 0
    for neurons, nin in sizes:
        rows, bias, grows, gbias = [], [], [], []
        for _ in range(neurons):
            rows.append([rounded(v) for v in data[i : i + nin]])
            bias.append(rounded(data[i + nin]))
            if grads is not None:
                grows.append([rounded(v) for v in grads[i : i + nin]])
                gbias.append(rounded(grads[i + nin]))
            i += nin + 1
        out["w"].append(rows)
        out["b"].append(bias)
        out["gw"].append(grows if grads is not None else None)
        out["gb"].append(gbias if grads is not None else None)
    return out


def _health(raw: dict[str, Any], sizes: tuple[tuple[int, int], ...]) -> list[dict[str, Any]]:
    """Per layer: the gradient's norm, the share of relus off for the whole batch, and
    |update| / |weights| (about 1e-3 is healthy; near 1 the learning rate is too large)."""
    before, after, grads, dead = raw["before"], raw["after"], raw["grads"], raw["dead"]
    health, i = [], 0
    for k, (neurons, nin) in enumerate(sizes):
        end = i + neurons * (nin + 1)
        # hypot: no overflow on the way to a norm that is itself a float (a diverging run)
        grad = math.hypot(*grads[i:end])
        moved = math.hypot(*(a - b for a, b in zip(after[i:end], before[i:end])))
        weight = math.hypot(*before[i:end])
        health.append(
            {
                "grad_norm": rounded(grad),
                "dead": rounded(dead[k]) if dead is not None else None,
                "update_ratio": rounded(moved / weight)
                if weight and math.isfinite(weight)
                else None,
            }
        )
        i = end
    return health


def _learnt(raw: dict[str, Any], kind: str) -> dict[str, Any]:
    """What the page shows the model has learnt: for 1-D and 2-D inputs it draws the fitted
    curve or the decision boundary from the step's weights itself; else a confusion matrix
    on the held-out set (when scored at this step) or on the step's batch."""
    if kind != "confusion":
        return {"kind": kind}
    if raw["val"] is not None:
        return {"kind": kind, "on": "held-out", "matrix": raw["val"]["confusion"]}
    if raw["confusion"] is None:
        return {"kind": kind, "on": None, "matrix": None}
    return {"kind": kind, "on": "batch", "matrix": raw["confusion"]}


def _updates(raw: dict[str, Any], run: RunFacts) -> list[str]:
    """The largest weight changes of the step, each with its rule as `step_steps` says it."""
    before, after = raw["before"], raw["after"]
    moved = sorted(range(len(before)), key=lambda i: -abs(after[i] - before[i]))[:SHOWN_UPDATES]
    lines = _update_lines(raw, run, moved)
    if lines is None:  # an optimizer that cannot show its rule: the change alone
        lines = [f"{run.names[i]} ← {number(before[i])} → {number(after[i])}" for i in moved]
    return lines


def _update_lines(raw: dict[str, Any], run: RunFacts, moved: list[int]) -> list[str] | None:
    """The update of parameters `moved` as `step_steps` prints it, replayed on copies: the
    same optimizer class with their state before the step; None if it cannot be replayed
    exactly (an optimizer without `step_steps`, or a replay that lands elsewhere)."""
    if raw["optimizer"] is None:
        return None
    settings, state = raw["optimizer"]
    before, after, grads, lr = raw["before"], raw["after"], raw["grads"], raw["lr"]
    try:
        copies = []
        for i in moved:
            v = Value(before[i], label=run.names[i])
            v.grad = grads[i]
            copies.append(v)
        replay = run.optimizer(copies, **{**settings, "lr": lr})
        replay.load_state_dict(
            {
                name: [values[i] for i in moved] if isinstance(values, list) else values
                for name, values in {**state, "lr": lr}.items()
            }
        )
        lines = [line for update in replay.step_steps() for line in update.lines]
    except Exception:  # noqa: BLE001 - any optimizer of the user's: show the change alone
        return None
    if any(c.data != after[i] for c, i in zip(copies, moved)):
        return None
    return lines


def _story(record: dict[str, Any], samples: int, run: RunFacts) -> list[str]:
    """The step in words: forward, loss, backward, update (the batch's side of the story)."""
    accuracy = record["accuracy"]
    lines = [
        f"forward: {samples} samples through the network"
        + (f", {accuracy:.1%} classified right" if accuracy is not None else ""),
        f"loss: {run.loss} of the batch, with the L2 term if any, = {shown(record['loss'])}",
    ]
    if record["reached"]:
        return [*lines, "stop: the loss reached the target: no backward pass, no update"]
    return [
        *lines,
        "backward: gradient norm per layer "
        + ", ".join(f"L{k + 1} {shown(h['grad_norm'])}" for k, h in enumerate(record["health"])),
        f"update: {run.optimizer.__name__} with lr {shown(record['lr'])}, the largest changes:",
    ]
