"""`Adam` and `AdamW`: per-parameter step sizes from running moments of the gradient.

They differ only in weight decay: Adam adds weight_decay·p to the gradient (coupled: the decay
is then rescaled by the moments), AdamW shrinks p by lr·weight_decay·p directly (decoupled).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from engine import Value
from engine.text import factor, number
from nn.checks import check_real
from nn.optim.optimizer import Optimizer


class Adam(Optimizer):
    """PyTorch's documented Adam rule, step t = 1, 2, ...:

    g = p.grad + weight_decay·p
    m = β1·m + (1 - β1)·g          v = β2·v + (1 - β2)·g²
    m̂ = m / (1 - β1^t)             v̂ = v / (1 - β2^t)
    p = p - lr·m̂ / (√v̂ + eps)      (eps after the square root)
    """

    _buffers = ("exp_avg", "exp_avg_sq")
    _decoupled = False

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if (
            isinstance(betas, (str, bytes))
            or not isinstance(betas, (tuple, list))
            or len(betas) != 2
        ):
            raise TypeError(f"betas must be a pair of numbers such as (0.9, 0.999), got {betas!r}")
        self.betas = tuple(check_real(f"betas[{i}]", b, "[0, 1)") for i, b in enumerate(betas))
        self.eps = check_real("eps", eps, "(0, inf)")
        self.weight_decay = check_real("weight_decay", weight_decay, "[0, inf)")
        self.exp_avg = [0.0] * len(self.params)  # m: running mean of g
        self.exp_avg_sq = [0.0] * len(self.params)  # v: running mean of g²

    def step(self) -> None:
        """One update of every parameter from its `.grad`."""
        self.steps += 1
        t = self.steps
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t  # bias corrections: m and v start at 0
        shrink = 1.0 - lr * wd if self._decoupled else 1.0
        coupled = wd if not self._decoupled else 0.0
        m, v = self.exp_avg, self.exp_avg_sq
        sqrt = math.sqrt
        for i, p in enumerate(self.params):
            g = p.grad
            if coupled != 0.0:
                g = g + coupled * p.data
            mi = m[i] = b1 * m[i] + (1.0 - b1) * g
            vi = v[i] = b2 * v[i] + (1.0 - b2) * g * g
            theta = p.data * shrink if shrink != 1.0 else p.data
            p.data = theta - lr * (mi / c1) / (sqrt(vi / c2) + eps)

    def updates(self) -> Iterator[tuple[int, dict[str, float]]]:
        """`step()` one parameter at a time, yielding (index, every number of its update)."""
        self.steps += 1
        t = self.steps
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t
        shrink = 1.0 - lr * wd if self._decoupled else 1.0
        coupled = wd if not self._decoupled else 0.0
        m, v = self.exp_avg, self.exp_avg_sq
        for i, p in enumerate(self.params):
            n = {"p": p.data, "grad": p.grad, "c1": c1, "c2": c2, "m0": m[i], "v0": v[i]}
            g = n["g"] = p.grad + coupled * p.data if coupled != 0.0 else p.grad
            m[i] = n["m"] = b1 * m[i] + (1.0 - b1) * g
            v[i] = n["v"] = b2 * v[i] + (1.0 - b2) * g * g
            theta = n["decayed"] = p.data * shrink if shrink != 1.0 else p.data
            n["m_hat"], n["v_hat"] = m[i] / c1, v[i] / c2
            n["root"] = math.sqrt(n["v_hat"])
            p.data = n["after"] = theta - lr * n["m_hat"] / (n["root"] + eps)
            yield i, n

    def describe(self, name: str, numbers: dict[str, float], settings: dict[str, Any]) -> list[str]:
        """The decay, `m`, `v`, m̂, v̂ and the update of one parameter, each with its numbers."""
        n, t, wd = numbers, settings["step"], settings["weight_decay"]
        x = {k: factor(value) for k, value in n.items()}  # as operands: (-0.5)
        out = {k: number(value) for k, value in n.items()}  # as results: -0.5
        lr, eps, w = number(settings["lr"]), number(settings["eps"]), number(wd)
        b1, b2 = (number(b) for b in settings["betas"])
        a1, a2 = (number(1.0 - b) for b in settings["betas"])
        lines = []
        if wd != 0.0 and self._decoupled:
            lines.append(f"p ← p − {lr}·{w}·p = {out['p']} − {lr}·{w}·{x['p']} = {out['decayed']}")
        elif wd != 0.0:
            lines.append(f"g ← g + {w}·p = {x['grad']} + {w}·{x['p']} = {out['g']}")
        lines += [
            f"m ← {b1}·m + {a1}·g = {b1}·{x['m0']} + {a1}·{x['g']} = {out['m']}",
            f"v ← {b2}·v + {a2}·g² = {b2}·{x['v0']} + {a2}·{x['g']}² = {out['v']}",
            f"m̂ = m / (1 − {b1}^{t}) = {x['m']} / {out['c1']} = {out['m_hat']}",
            f"v̂ = v / (1 − {b2}^{t}) = {x['v']} / {out['c2']} = {out['v_hat']}",
            f"{name} ← p − {lr}·m̂ / (√v̂ + {eps}) = {out['decayed']} − {lr}·{x['m_hat']} / "
            f"({out['root']} + {eps}) = {out['after']}",
        ]
        return [f"{name}: grad {out['grad']}", *("  " + line for line in lines)]

    def hyperparameters(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "betas": self.betas,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr!r}, "
            f"betas={self.betas!r}, eps={self.eps!r}, weight_decay={self.weight_decay!r})"
        )


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's AdamW): first p = p - lr·weight_decay·p,
    then the Adam update without weight decay in the gradient."""

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
