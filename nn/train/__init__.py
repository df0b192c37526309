"""The training loop, built on the library: `fit`, `evaluate`, `History`, callbacks, plots, and
`steps`, the loop of `fit` one stage at a time.

>>> from nn.train import fit, evaluate
"""

from nn.train import callbacks, plots
from nn.train.fit import fit
from nn.train.history import History
from nn.train.loop import FitState
from nn.train.objective import LOSSES, REGRESSION_LOSSES, Objective, output_count, sample_loss
from nn.train.scoring import evaluate
from nn.train.steps import steps

__all__ = [
    "LOSSES",
    "REGRESSION_LOSSES",
    "FitState",
    "History",
    "Objective",
    "callbacks",
    "evaluate",
    "fit",
    "output_count",
    "plots",
    "sample_loss",
    "steps",
]
