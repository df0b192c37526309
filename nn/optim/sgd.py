"""`SGD`: stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from engine import Value
from engine.text import factor, number
from nn.checks import check_real
from nn.optim.optimizer import Optimizer


class SGD(Optimizer):
    """PyTorch's documented SGD rule (dampening 0), step t = 1, 2, ...:

        g = p.grad + weight_decay·p
        b = g at t = 1, else momentum·b + g        (only when momentum > 0)
        g = g + momentum·b if nesterov, else b     (only when momentum > 0)
        p = p - lr·g

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 0.5
    >>> SGD([w], lr=0.1).step(); w.data
    0.95
    """

    _buffers = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = check_real("momentum", momentum, "[0, inf)")
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be True or False, not {type(nesterov).__name__}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov momentum needs momentum > 0 (as in PyTorch)")
        self.nesterov = nesterov
        self.weight_decay = check_real("weight_decay", weight_decay, "[0, inf)")
        # Starting at 0.0, momentum·b + g gives b = g exactly on the first step.
        self.momentum_buffer = [0.0] * len(self.params)

    def step(self) -> None:
        """One update of every parameter from its `.grad`."""
        lr, mu, wd, nesterov = self.lr, self.momentum, self.weight_decay, self.nesterov
        buffer = self.momentum_buffer
        for i, p in enumerate(self.params):
            g = p.grad
            if wd != 0.0:
                g = g + wd * p.data
            if mu != 0.0:
                b = buffer[i] = mu * buffer[i] + g
                g = g + mu * b if nesterov else b
            p.data = p.data - lr * g
        self.steps += 1

    def updates(self) -> Iterator[tuple[int, dict[str, float]]]:
        """`step()` one parameter at a time, yielding (index, every number of its update)."""
        self.steps += 1
        lr, mu, wd, nesterov = self.lr, self.momentum, self.weight_decay, self.nesterov
        for i, p in enumerate(self.params):
            n = {"p": p.data, "grad": p.grad}
            g = n["g"] = p.grad + wd * p.data if wd != 0.0 else p.grad
            if mu != 0.0:
                n["b0"] = self.momentum_buffer[i]
                b = n["b"] = self.momentum_buffer[i] = mu * n["b0"] + g
                g = g + mu * b if nesterov else b
            n["d"] = g
            p.data = n["after"] = p.data - lr * g
            yield i, n

    def describe(self, name: str, numbers: dict[str, float], settings: dict[str, Any]) -> list[str]:
        """`w ← 0.31 − 0.1 · 0.52 = 0.258`, after the decay and momentum lines where they apply."""
        n = numbers
        lr, mu, wd = settings["lr"], settings["momentum"], settings["weight_decay"]
        p, g, d = factor(n["p"]), factor(n["g"]), factor(n["d"])
        lines = []
        if wd != 0.0:
            w = number(wd)
            lines.append(f"g ← g + {w}·p = {factor(n['grad'])} + {w}·{p} = {number(n['g'])}")
        if mu != 0.0:
            m = number(mu)
            lines.append(f"b ← {m}·b + g = {m}·{factor(n['b0'])} + {g} = {number(n['b'])}")
            if settings["nesterov"]:
                lines.append(f"g ← g + {m}·b = {g} + {m}·{factor(n['b'])} = {number(n['d'])}")
        update = f"{name} ← {number(n['p'])} − {number(lr)} · {d} = {number(n['after'])}"
        if not lines:
            return [update]
        return [f"{name}: grad {number(n['grad'])}", *("  " + line for line in [*lines, update])]

    def hyperparameters(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
        }

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} parameters, lr={self.lr!r}, momentum={self.momentum!r}, "
            f"nesterov={self.nesterov!r}, weight_decay={self.weight_decay!r})"
        )
