"""gradstep's neural-network library, built on `engine`'s public API only.

>>> from nn import MLP
>>> model = MLP(2, [16, 16, 1], seed=0)
"""

import importlib

# Where each public name lives. Loaded on first use, so `import nn` stays light and a
# submodule's heavier imports (matplotlib, tqdm) wait until they are needed.
_NAMES = {
    "Module": "nn.module",
    "load": "nn.module",
    "Neuron": "nn.mlp",
    "Layer": "nn.mlp",
    "MLP": "nn.mlp",
    "fit": "nn.train",
    "History": "nn.train",
}
_SUBMODULES = ("data", "losses", "optim", "train", "callbacks", "cli", "plots")

__all__ = sorted(_NAMES) + list(_SUBMODULES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"nn.{name}")
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


def __dir__():
    return __all__
