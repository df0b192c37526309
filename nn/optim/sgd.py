"""`SGD`: stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable

from engine import Value
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

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} parameters, lr={self.lr!r}, momentum={self.momentum!r}, "
            f"nesterov={self.nesterov!r}, weight_decay={self.weight_decay!r})"
        )
