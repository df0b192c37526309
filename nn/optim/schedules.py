"""Learning-rate schedules: each `step()` moves one step along and sets the optimizer's `lr`.

Each follows the closed form in PyTorch's docs, as a function of the step count `last_epoch`
(0 when the schedule is made, when it also sets `lr` to its value at step 0):

- StepLR:            base_lr · gamma^(t // step_size)
- ExponentialLR:     base_lr · gamma^t
- CosineAnnealingLR: eta_min + (base_lr - eta_min) · (1 + cos(π·t / T_max)) / 2
- LinearLR:          base_lr · (start + (end - start) · min(t, total_iters) / total_iters)

>>> from engine import Value
>>> from nn.optim import SGD, LinearLR
>>> opt = SGD([Value(0.0)], lr=1.0)
>>> schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
>>> schedule.step(); round(opt.lr, 12)
0.991
"""

from __future__ import annotations

import math

from nn.checks import check_int, check_real
from nn.optim.optimizer import Optimizer


class LRScheduler:
    """Base: remembers the optimizer's `base_lr` and sets `opt.lr = lr_at(last_epoch)`."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"a schedule drives an optimizer from nn.optim (SGD, Adam, AdamW), "
                f"not {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self._apply()

    def lr_at(self, t: int) -> float:
        """The learning rate after `t` calls of `step()`."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one step and set the optimizer's lr."""
        self.last_epoch += 1
        self._apply()

    @property
    def last_lr(self) -> float:
        """The lr this schedule set last."""
        return self._last_lr

    def _apply(self) -> None:
        self._last_lr = self.lr_at(self.last_epoch)
        self.optimizer.lr = self._last_lr

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_lr={self.base_lr!r}, last_epoch={self.last_epoch})"


class StepLR(LRScheduler):
    """Multiply the lr by `gamma` every `step_size` steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_int("step_size", step_size, 1)
        self.gamma = check_real("gamma", gamma, "(0, inf)")
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the lr by `gamma` every step."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = check_real("gamma", gamma, "(0, inf)")
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma**t


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from base_lr down to `eta_min` over `T_max` steps (then back up)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        self.T_max = check_int("T_max", T_max, 1)
        self.eta_min = check_real("eta_min", eta_min, "[0, inf)")
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        cosine = (1.0 + math.cos(math.pi * t / self.T_max)) / 2.0
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


class LinearLR(LRScheduler):
    """Scale base_lr by a factor going linearly from `start_factor` to `end_factor` over
    `total_iters` steps, then staying at `end_factor`."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3.0,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = check_real("start_factor", start_factor, "(0, 1]")
        self.end_factor = check_real("end_factor", end_factor, "[0, 1]")
        self.total_iters = check_int("total_iters", total_iters, 1)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        fraction = min(t, self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * fraction)
