"""Training on a compiled model: `fit(..., compile='auto')`.

A network's graph has the same shape at every step; only the numbers change. So the model is
traced once (`engine.compiler.compile_outputs`) and each step runs its forward and backward
passes as straight-line Python, with no node made. The loss stays eager, which keeps every
loss exact, custom ones included, whatever they do with the numbers: each sample's outputs
become leaves, the loss (and the L2 term) is one small graph on top of them, and the
gradients it leaves at those leaves are pulled back through the compiled model.

The numbers are eager's to the bit: the compiled lines are the eager ops, and the pullback
adds each sample's contribution to a weight's grad in the order one backward() over the whole
batch's graph would (the last sample first, after the loss's L2 term), so a compiled run
ends with the weights of an eager one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine import Value, is_grad_enabled
from engine.compiler import compile_outputs
from nn.mlp import MLP, Layer, Neuron

# Models whose forward pass never looks at a number to decide what to compute (a relu is an op
# of the graph, not an `if`), so one trace holds for every step.
TRACEABLE = (MLP, Layer, Neuron)


class CompiledModel:
    """A model's forward and backward passes over samples of `X`, compiled."""

    def __init__(self, model: Any, X: list[list[float]], n_outputs: int, check: bool) -> None:
        self.compiled = compile_outputs(model, X[0], check=check)
        self.calls = [(x,) for x in X]
        self.single = n_outputs == 1
        self.pending: Callable[[], None] | None = None

    def forward(self, batch: Sequence[int]) -> list:
        """The model's outputs for the samples in `batch`, as leaves a loss can be built on:
        one Value per sample for a one-output model, else a list of Values per sample."""
        outputs, pullback = self.compiled.vjp([self.calls[i] for i in batch])
        leaves = [[Value(v) for v in out] for out in outputs]

        def backward() -> None:
            pullback([[leaf.grad for leaf in row] for row in leaves])

        self.pending = backward
        return [row[0] for row in leaves] if self.single else leaves

    def backward(self) -> None:
        """After the loss's backward pass: add d loss / d weight through the model to `.grad`."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending()


def compiled_model(
    model: Any, X: list[list[float]], n_outputs: int, compile: bool | str
) -> CompiledModel | None:
    """What `fit(..., compile=...)` trains on: a CompiledModel, or None for eager steps.

    'auto' compiles an MLP (or a Layer, a Neuron) and leaves any other model eager; True
    compiles any model, checking the first calls against eager (a model whose Python code
    branches on a Value's .data cannot be traced); False is always eager.
    """
    if not (compile == "auto" or compile is True or compile is False):
        raise ValueError(f"compile must be 'auto', True or False, got {compile!r}")
    if compile is False:
        return None
    if compile == "auto" and (type(model) not in TRACEABLE or not is_grad_enabled()):
        return None
    return CompiledModel(model, X, n_outputs, check=compile is True)
