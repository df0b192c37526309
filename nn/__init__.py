"""gradstep's neural-network library, built on `engine`'s public API only.

Three floors: the library here (`Module`, `MLP`, `Sequential`, `Standardize`, `losses`,
`optim`, `data`), the training loop in `nn.train` (`fit`, callbacks, plots) on top of it, and
the `gradstep` command line in `nn.cli` on top of that. A floor never imports the one above it.

>>> from nn import MLP
>>> model = MLP(2, [16, 16, 1], seed=0)
"""

from nn import data, losses, optim, train
from nn.mlp import MLP, Layer, Neuron
from nn.module import Module
from nn.saving import load
from nn.sequential import Sequential
from nn.standardize import Standardize
from nn.train import History, evaluate, fit

__all__ = [
    "MLP",
    "History",
    "Layer",
    "Module",
    "Neuron",
    "Sequential",
    "Standardize",
    "data",
    "evaluate",
    "fit",
    "load",
    "losses",
    "optim",
    "train",
]
