"""An optimizer's update one parameter at a time: `step_steps()` yields an `UpdateStep` each.

The arithmetic is the optimizer's own `updates()`: `step()`'s rule, paused after each
parameter; nothing here computes an update. What is here: the text of a step, and the checks
that the optimizer and the parameters already updated did not change between two `next()`s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from engine import Value


@dataclass(eq=False)
class UpdateStep:
    """One parameter's update: its data `before` and `after`, its `grad`, and every number the
    rule computed on the way (`numbers`: g, b, m, v, m_hat, ...). `str()` reads as the rule."""

    param: Value
    name: str
    before: float
    after: float
    grad: float
    numbers: dict[str, float]
    index: int
    total: int
    settings: dict[str, Any] = field(repr=False)
    describe: Callable[[str, dict[str, float], dict[str, Any]], list[str]] = field(repr=False)

    @property
    def lines(self) -> list[str]:
        """The rule with its numbers, one line per quantity computed, the update last."""
        return self.describe(self.name, self.numbers, self.settings)

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def __repr__(self) -> str:
        return f"<UpdateStep {self.index + 1}/{self.total}: {self.lines[-1].strip()}>"


def step_steps(optimizer: Any) -> Iterator[UpdateStep]:
    """The generator behind `Optimizer.step_steps()`."""
    params = optimizer.params
    names = [p.label or f"params[{i}]" for i, p in enumerate(params)]
    settings = optimizer.hyperparameters()
    state = optimizer.state_lists()
    updates = optimizer.updates()
    afters: list[float] = []
    try:
        for i, numbers in updates:
            if i == 0:
                settings = {**settings, "step": optimizer.steps}
            p = params[i]
            after = p.data
            afters.append(after)
            yield UpdateStep(
                p,
                names[i],
                numbers["p"],
                after,
                numbers["grad"],
                numbers,
                i,
                len(params),
                settings,
                optimizer.describe,
            )
            _check(optimizer, settings, state, names[i], p, after)
    finally:
        updates.close()
    for name, p, after in zip(names, params, afters):  # one written while others were stepped
        _check(optimizer, settings, state, name, p, after)


def _check(optimizer: Any, settings: dict, state: list, name: str, p: Value, after: float) -> None:
    """A RuntimeError if the step can no longer go on as `step()` would have."""
    now = optimizer.hyperparameters()
    changed = [k for k, v in now.items() if settings.get(k) != v]
    problem = ""
    if optimizer.steps != settings["step"]:
        problem = (
            f"another step ran (its step count went from {settings['step']} to {optimizer.steps})"
        )
    elif changed:
        k = changed[0]
        problem = f"its {k} changed from {settings[k]!r} to {now[k]!r}"
    elif any(a is not b for a, b in zip(optimizer.state_lists(), state)):
        problem = "its state was replaced (load_state_dict?)"
    elif not _same(p.data, after):
        problem = f"{name} was set to {p.data!r} after this update made it {after!r}"
    if problem:
        raise RuntimeError(
            f"step_steps of {type(optimizer).__name__} cannot go on: {problem} while it was "
            "stepping. The parameters it yielded so far are updated; start a new step_steps() "
            "(or call step()) for a whole update."
        )


def _same(x: float, y: float) -> bool:
    """Equal bit for bit, as floats go: -0.0 is not 0.0, and nan is nan."""
    if x != x:
        return y != y
    return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)
