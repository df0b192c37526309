"""`Adam` and `AdamW`: per-parameter step sizes from running moments of the gradient.

They differ only in weight decay: Adam adds weight_decay·p to the gradient (coupled: the decay
is then rescaled by the moments), AdamW shrinks p by lr·weight_decay·p directly (decoupled).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from engine import Value
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
