"""Optimizers and schedules by name: the tables `fit` and `gradstep train` both read.

>>> from engine import Value
>>> from nn.optim.names import make_optimizer
>>> make_optimizer("adam", [Value(1.0)], lr=0.01)
Adam(1 parameters, lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine import Value
from nn.checks import check_choice, check_int
from nn.optim.adam import Adam, AdamW
from nn.optim.optimizer import Optimizer
from nn.optim.schedules import CosineAnnealingLR, LinearLR, LRScheduler
from nn.optim.sgd import SGD

OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "adamw": AdamW}
DEFAULT_LR = {"sgd": 0.1}  # SGD has no default lr of its own; Adam's and AdamW's are 1e-3

# Schedule name -> what it makes from (optimizer, steps); "constant" keeps the optimizer's lr.
SCHEDULES: dict[str, Callable[[Optimizer, int], LRScheduler | None]] = {
    # micrograd's demo: lr·(1 - 0.9·t/steps), from lr down to lr/10
    "linear": lambda opt, steps: LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=steps),
    "cosine": lambda opt, steps: CosineAnnealingLR(opt, T_max=steps),
    "constant": lambda opt, steps: None,
}


def make_optimizer(optimizer: Any, params: list[Value], lr: float | None = None) -> Any:
    """The optimizer to step with: built from a name in OPTIMIZERS (None: 'sgd'), or as given."""
    if optimizer is None:
        optimizer = "sgd"
    if isinstance(optimizer, str):
        name = check_choice("optimizer", optimizer.lower(), OPTIMIZERS)
        if lr is None:
            lr = DEFAULT_LR.get(name)
        cls = OPTIMIZERS[name]
        return cls(params) if lr is None else cls(params, lr=lr)
    if lr is not None:
        raise ValueError("lr goes to the optimizer you pass in; give fit() an lr only with a name")
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(
            f"optimizer must be one of {', '.join(OPTIMIZERS)} or an object with step() and "
            f"zero_grad(), not {type(optimizer).__name__}"
        )
    return optimizer


def make_schedule(name: str, optimizer: Optimizer, steps: int) -> LRScheduler | None:
    """The schedule called `name` over `steps` steps (None for 'constant')."""
    check_choice("schedule", name, SCHEDULES)
    return SCHEDULES[name](optimizer, max(check_int("steps", steps), 1))
