"""Optimizers and learning-rate schedules, with PyTorch's names and update rules.

>>> from nn import MLP
>>> from nn.optim import SGD, LinearLR
>>> model = MLP(2, [16, 16, 1], seed=0)
>>> opt = SGD(model.parameters(), lr=1.0)
>>> schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
"""

from nn.optim.adam import Adam, AdamW
from nn.optim.names import OPTIMIZERS, SCHEDULES, make_optimizer, make_schedule
from nn.optim.optimizer import Optimizer
from nn.optim.schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LRScheduler,
    StepLR,
)
from nn.optim.sgd import SGD
from nn.optim.update_steps import UpdateStep

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LinearLR",
    "OPTIMIZERS",
    "SCHEDULES",
    "Optimizer",
    "StepLR",
    "UpdateStep",
    "make_optimizer",
    "make_schedule",
]
