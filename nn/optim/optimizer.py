"""`Optimizer`: the parameter list, the learning rate and `zero_grad` that every optimizer shares.

Optimizers change `p.data` with plain float arithmetic on `.data` and `.grad`: no graph is built.
Per-parameter state (momentum, moments) lives in lists aligned with `params`. `step_steps()`
shows an update one parameter at a time, from each optimizer's `updates()` and `describe()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from engine import Value
from nn.checks import check_int, check_real
from nn.optim.update_steps import UpdateStep, step_steps


class Optimizer:
    """Holds `params` and `lr`; subclasses give `step()`."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = _check_params(params)
        self.lr = lr
        self.steps = 0  # how many times step() has run

    @property
    def lr(self) -> float:
        """The learning rate; schedules set it between steps."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_real("lr", value, "[0, inf)")

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0 (backward adds into `.grad`)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its grad."""
        raise NotImplementedError

    def step_steps(self) -> Iterator[UpdateStep]:
        """The update of `step()`, one parameter per `next()`, each step printing its rule.

        Exhausted, every parameter and the optimizer's state (buffers, step count) are bit for
        bit what `step()` would have left. The step count goes up at the first `next()`, before
        any parameter moves (Adam's `step()` counts first too, SGD's last: the same count once a
        step is done); closed halfway, the parameters yielded so far are updated, the rest not.
        If the optimizer or a parameter yielded already changes in between (lr set, another
        step, `p.data` written), the next `next()` raises a RuntimeError rather than go on with
        numbers that no longer hold.
        """
        return step_steps(self)

    def updates(self) -> Iterator[tuple[int, dict[str, float]]]:
        """`step()` one parameter at a time, yielding (index, every number of its update).

        The rule written a second time, with its intermediate numbers kept for `describe`:
        `step()` keeps its own tight loop (sharing this one cost it 5-18% in time), and the
        tests hold the two equal bit for bit.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot show its update step by step")
        yield  # a generator, like the subclasses' own

    def describe(self, name: str, numbers: dict[str, float], settings: dict[str, Any]) -> list[str]:
        """One parameter's update as lines of text: the rule with its numbers."""
        raise NotImplementedError

    def hyperparameters(self) -> dict[str, Any]:
        """The settings `step()` reads, by name: lr and the optimizer's own."""
        return {"lr": self.lr}

    def state_lists(self) -> list[list[float]]:
        """The per-parameter state lists themselves (momentum, moments), in `_buffers` order."""
        return [getattr(self, name) for name in self._buffers]

    # Names of per-parameter state lists (e.g. "momentum"), saved by state_dict.
    _buffers: tuple[str, ...] = ()

    def state_dict(self) -> dict[str, Any]:
        """lr, step count and per-parameter buffers as JSON-friendly values, to resume later."""
        state: dict[str, Any] = {"lr": self.lr, "steps": self.steps}
        for name in self._buffers:
            state[name] = list(getattr(self, name))
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` gave; checks everything first and changes nothing on error."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict, not {type(state).__name__}")
        expected = {"lr", "steps", *self._buffers}
        if set(state) != expected:
            raise ValueError(
                f"{type(self).__name__} state needs keys {sorted(expected)}, got {sorted(state)}"
            )
        lr = check_real("lr", state["lr"], "[0, inf)")
        steps = check_int("steps", state["steps"])
        buffers = {}
        for name in self._buffers:
            values = state[name]
            if not isinstance(values, (list, tuple)) or len(values) != len(self.params):
                raise ValueError(
                    f"{name} must be a list of {len(self.params)} numbers (one per parameter)"
                )
            buffers[name] = [check_real(f"{name}[{i}]", x) for i, x in enumerate(values)]
        self.lr, self.steps = lr, steps
        for name, values in buffers.items():
            setattr(self, name, values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr!r})"


def _check_params(params: Any) -> list[Value]:
    if type(params) is Value:
        params = [params]
    elif hasattr(params, "parameters") and not isinstance(params, (list, tuple)):
        raise TypeError("params must be a list of Values: pass model.parameters(), not the model")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"params must be an iterable of Values (e.g. model.parameters()), "
            f"not {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError("the optimizer got an empty parameter list")
    seen: set[int] = set()
    for i, p in enumerate(params):
        if type(p) is not Value:
            raise TypeError(f"params must be Values; params[{i}] is {type(p).__name__}")
        if id(p) in seen:
            raise ValueError(
                f"params[{i}] ({p.label or 'unlabelled'}) appears more than once; "
                "it would be updated twice per step"
            )
        seen.add(id(p))
    return params
