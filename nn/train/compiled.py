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

A model with `layer_outputs` (an MLP) is traced with every layer's outputs observed
(`compile_outputs(..., observed=True)`): on the steps a callback asks for them (the lab's
recorder), the same forward pass also hands out each neuron's value; they get no gradient, so
the backward lines and the numbers are those of a step that does not ask.
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
        self.observes = callable(getattr(model, "layer_outputs", None))
        fn = _with_layer_outputs(model) if self.observes else model
        self.compiled = compile_outputs(fn, X[0], check=check, observed=self.observes)
        self.calls = [(x,) for x in X]
        self.single = n_outputs == 1
        self.pending: Callable[[], None] | None = None

    def forward(self, batch: Sequence[int], observe: bool = False) -> tuple[list, list | None]:
        """The model's outputs for the samples in `batch`, as leaves a loss can be built on
        (one Value per sample for a one-output model, else a list of Values per sample), and
        with `observe` every neuron's output per sample, a tuple per layer (else None)."""
        calls = [self.calls[i] for i in batch]
        if observe and self.observes:
            outputs, activations, pullback = self.compiled.vjp_observed(calls)
        else:
            (outputs, pullback), activations = self.compiled.vjp(calls), None
        leaves = [[Value(v) for v in out] for out in outputs]

        def backward() -> None:
            pullback([[leaf.grad for leaf in row] for row in leaves])

        self.pending = backward
        outs = [row[0] for row in leaves] if self.single else leaves
        return outs, activations

    def outputs(self, X: list[list[float]]) -> list:
        """The model's outputs on rows `X` as Values with no graph (a Value per row for a
        one-output model, else a list of them), for scoring held-out data: the forward lines
        only, no tape, nothing observed; the numbers are eager's to the bit."""
        rows = self.compiled.forward_batch([(x,) for x in X])
        if self.single:
            return [Value(out[0]) for out in rows]
        return [[Value(v) for v in out] for out in rows]

    def backward(self) -> None:
        """After the loss's backward pass: add d loss / d weight through the model to `.grad`."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending()


def _with_layer_outputs(model: Any) -> Callable:
    """The model as a function of one sample that returns (its outputs, every layer's)."""

    def forward(x):
        layers = model.layer_outputs(x)
        return layers[-1], layers

    return forward


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
