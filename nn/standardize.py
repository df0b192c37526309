"""`Standardize`: the feature scaling fitted to training rows, as a Module a model can carry.

Its numbers are data fitted once (buffers, as PyTorch calls a BatchNorm's running mean), never
trained: `parameters()` is empty, so optimizers and `zero_grad` leave them alone, and a saved
model keeps them in its file next to the weights, so it takes raw rows.

>>> from nn import MLP, Sequential, Standardize
>>> X = [[150.0, 2.0], [170.0, 4.0], [190.0, 6.0]]
>>> scale = Standardize.fit(X)
>>> scale([170.0, 6.0])
[0.0, 1.224744871391589]
>>> model = Sequential(scale, MLP(2, [4, 1], seed=0))  # raw rows in, predictions out
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from engine import Value
from nn.checks import check_length, check_number, check_sequence, sample_error
from nn.data.preprocess import feature_scales
from nn.module import Module


class Standardize(Module):
    """Each feature x_j to (x_j - mean_j) · scale_j, with scale_j = 1/std_j over training rows.

    `Standardize.fit(X)` measures them (a constant feature gets scale 0: it carries nothing);
    the constructor takes them as numbers, as `nn.load` does.
    """

    format = "gradstep.standardize"

    def __init__(self, mean: Sequence[float], scale: Sequence[float]) -> None:
        self.mean = _finite_list("mean", mean)
        self.scale = _finite_list("scale", scale)
        if len(self.mean) != len(self.scale):
            raise ValueError(
                f"mean and scale need one number per feature each; got {len(self.mean)} "
                f"and {len(self.scale)}"
            )
        if not self.mean:
            raise ValueError("mean and scale are empty: Standardize needs at least one feature")
        negative = next((j for j, s in enumerate(self.scale) if s < 0.0), None)
        if negative is not None:
            raise ValueError(
                f"scale[{negative}] is {self.scale[negative]!r}: a scale is 1/std, never negative"
            )
        self._pairs = tuple(zip(self.mean, self.scale))

    @classmethod
    def fit(cls, X: Sequence[Sequence[float]]) -> Standardize:
        """The scaling that gives each feature of `X` (training rows) mean 0 and std 1."""
        scales = feature_scales(X)
        return cls([m for m, _ in scales], [s for _, s in scales])

    @property
    def nin(self) -> int:
        """How many features a row has."""
        return len(self.mean)

    def __call__(self, x: Sequence[float | Value]) -> list:
        check_length("Standardize", x, self.nin)
        try:
            return [(v - m) * s for v, (m, s) in zip(x, self._pairs)]
        except TypeError as error:
            raise sample_error("Standardize", x, self.nin) or error from None

    def parameters(self) -> list[Value]:
        return []  # fitted once, never trained

    def config(self) -> dict[str, Any]:
        return {"mean": list(self.mean), "scale": list(self.scale)}

    def __repr__(self) -> str:
        return f"Standardize({self.nin} features)"


def _finite_list(name: str, values: Any) -> list[float]:
    """`values` as a list of finite floats, or an error naming the entry that is not."""
    check_sequence(name, values)
    out = [check_number(name, v) for v in values]
    bad = next((j for j, v in enumerate(out) if not math.isfinite(v)), None)
    if bad is not None:
        raise ValueError(f"{name}[{bad}] is {out[bad]!r}: {name} must hold finite numbers")
    return out
