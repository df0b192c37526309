"""`Neuron`, `Layer`, `MLP`: a multi-layer perceptron over scalar Values.

Each neuron is one `dot` node (weights and bias against the inputs and a constant 1.0) followed
by its activation, so a forward pass makes two nodes per neuron and a graph reads as the network.
Every parameter is labelled by where it lives (`L1.N3.w0`, `L1.N3.b`) and so is every neuron's
output (`L1.N3`), so graphs, state dicts and optimizer steps say which weight is which.

>>> from nn import MLP
>>> model = MLP(2, [16, 16, 1], seed=0)
>>> model([0.5, -1.0]).label
'L3.N0'
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from engine import Value, dot, matvec
from nn.checks import check_choice, check_int, check_length, check_str, make_rng, sample_error
from nn.module import Module

# Activation name -> the Value method that applies it (None: the identity).
ACTIVATIONS = {"relu": Value.relu, "tanh": Value.tanh, "sigmoid": Value.sigmoid, "linear": None}

# Initial weights: "scaled" is PyTorch's nn.Linear default, w, b ~ U(±1/sqrt(nin)), good for any
# number of inputs (digits has 64); "micrograd" is w ~ U(-1, 1), b = 0, which its moons demo
# (2-16-16-1, SGD at lr 1.0, 100 steps) needs to reach 100%: scaled weights get there for 2 of
# 30 seeds, micrograd's for 25 of 28.
INITS = ("scaled", "micrograd")


class Neuron(Module):
    """act(w · x + b) for `nin` inputs; `name` prefixes its labels (e.g. 'L1.N3')."""

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        *,
        init: str = "scaled",
        seed: int | None = None,
        rng: random.Random | None = None,
        name: str = "",
    ) -> None:
        self.nin = check_int("nin", nin, 1)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.name = check_str("name", name)
        rng = make_rng(seed, rng)
        prefix = f"{name}." if name else ""
        self.init = check_choice("init", init, INITS)
        if init == "micrograd":  # micrograd's w ~ U(-1, 1), b = 0: its moons demo is tuned for it
            self.w = [Value(rng.uniform(-1.0, 1.0), f"{prefix}w{i}") for i in range(nin)]
            self.b = Value(0.0, f"{prefix}b")
        else:  # PyTorch's nn.Linear: w, b ~ U(±1/sqrt(nin)), so w·x stays O(1) for any nin
            bound = 1.0 / math.sqrt(nin)
            self.w = [Value(rng.uniform(-bound, bound), f"{prefix}w{i}") for i in range(nin)]
            self.b = Value(rng.uniform(-bound, bound), f"{prefix}b")
        self._wb = (*self.w, self.b)
        self._act = ACTIVATIONS[self.activation]

    def __call__(self, x: Sequence[Value | float]) -> Value:
        check_length("Neuron", x, self.nin)
        try:
            return self._forward([*x, 1.0])
        except TypeError as error:
            raise sample_error("Neuron", x, self.nin) or error from None

    def _forward(self, x1: list) -> Value:
        # x1 is the input with a trailing 1.0 that meets the bias in the same dot node.
        out = dot(self._wb, x1)
        if self._act is not None:
            out = self._act(out)
        out.label = self.name
        return out

    def parameters(self) -> list[Value]:
        return list(self._wb)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation}


class Layer(Module):
    """`nout` neurons that see the same inputs; calling it always returns a list."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        init: str = "scaled",
        seed: int | None = None,
        rng: random.Random | None = None,
        name: str = "",
    ) -> None:
        self.nin = check_int("nin", nin, 1)
        self.nout = check_int("nout", nout, 1)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.init = check_choice("init", init, INITS)
        self.name = check_str("name", name)
        rng = make_rng(seed, rng)
        prefix = f"{name}." if name else ""
        self.neurons = [
            Neuron(nin, activation, init=init, rng=rng, name=f"{prefix}N{j}") for j in range(nout)
        ]
        self._rows = [n._wb for n in self.neurons]
        self._names = [n.name for n in self.neurons]
        self._act = ACTIVATIONS[self.activation]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        check_length("Layer", x, self.nin)
        try:
            return self._forward([*x, 1.0])
        except TypeError as error:
            raise sample_error("Layer", x, self.nin) or error from None

    def _forward(self, x1: list) -> list[Value]:
        # One matvec reads the inputs once for all neurons (each output is still one dot node).
        outs = matvec(self._rows, x1)
        act = self._act
        if act is not None:
            outs = [act(out) for out in outs]
        for out, name in zip(outs, self._names):
            out.label = name
        return outs

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n._wb]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}


class MLP(Module):
    """Layers of `nouts[i]` neurons; hidden layers use `activation`, the last one is linear.

    `model(x)` returns a Value when the last layer has one neuron, else a list of Values.
    `seed` makes the initial weights reproducible without touching the global `random` state;
    `init` picks them: "scaled" (PyTorch's default) or "micrograd" (see INITS).
    """

    format = "gradstep.mlp"

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        seed: int | None = None,
        *,
        init: str = "scaled",
    ) -> None:
        self.nin = check_int("nin", nin, 1)
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
            raise TypeError(
                "nouts must be a list of layer sizes such as [16, 16, 1], "
                f"not {type(nouts).__name__}"
            )
        if len(nouts) == 0:
            raise ValueError("nouts must name at least one layer size, e.g. [16, 16, 1]")
        self.nouts = [check_int(f"nouts[{i}]", n, 1) for i, n in enumerate(nouts)]
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.init = check_choice("init", init, INITS)
        rng = make_rng(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                "linear" if i == last else self.activation,
                init=init,
                rng=rng,
                name=f"L{i + 1}",
            )
            for i in range(len(self.nouts))
        ]
        self._single = self.nouts[-1] == 1

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = self.layer_outputs(x)[-1]
        return out[0] if self._single else out

    def layer_outputs(self, x: Sequence[Value | float]) -> list[list[Value]]:
        """Every layer's outputs for `x`, from the one forward pass `model(x)` makes (the last
        layer's are its outputs): what the lab shows of each neuron, read off the same graph.

        >>> [len(layer) for layer in MLP(2, [16, 16, 1], seed=0).layer_outputs([0.5, -1.0])]
        [16, 16, 1]
        """
        check_length("MLP", x, self.nin)
        outs, out = [], x
        try:
            for layer in self.layers:
                out = layer._forward([*out, 1.0])
                outs.append(out)
        except TypeError as error:  # a batch of rows, or an entry that is not a number
            raise sample_error("MLP", x, self.nin) or error from None
        return outs

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for n in layer.neurons for p in n._wb]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nouts": list(self.nouts), "activation": self.activation}

    def __repr__(self) -> str:
        init = "" if self.init == "scaled" else f", init={self.init!r}"
        return f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}{init})"
