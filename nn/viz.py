"""Pictures of networks: groupings for `engine.viz.draw_dot`.

`by_neuron` and `by_layer` read nn's labels (`L1.N3.w0` is weight 0 of neuron 3 of layer 1),
so `draw_dot(loss, group=by_neuron)` draws one box per neuron instead of one per Value.

>>> from nn import MLP, losses
>>> from nn.viz import by_neuron
>>> from engine.viz import draw_dot
>>> model = MLP(2, [16, 16, 1], seed=0)
>>> loss = losses.hinge([model([0.5, -1.0])], [1.0])
>>> picture = draw_dot(loss, group=by_neuron)   # 33 neuron boxes and the loss's 5 Values
"""

from __future__ import annotations

import re

from engine import Value
from engine.graph import operands

# A neuron's own labels: its output 'L1.N3', its weights 'L1.N3.w0', ... and its bias 'L1.N3.b'.
_NEURON = re.compile(r"^((L\d+)\.N\d+)(?:\.(?:w\d+|b))?$")


def by_neuron(value: Value) -> str | None:
    """'L1.N3' for neuron 3 of layer 1's weights, bias, weighted sum and activation; else None.

    A neuron's weighted sum is unlabelled when an activation follows it: it is known by its
    first operand, the neuron's weight w0.
    """
    found = _neuron(value)
    return found.group(1) if found else None


def by_layer(value: Value) -> str | None:
    """'L1' for every Value of layer 1's neurons (as `by_neuron`); else None."""
    found = _neuron(value)
    return found.group(2) if found else None


def _neuron(value: Value) -> re.Match | None:
    found = _NEURON.match(value.label)
    if found or value.label or value.op != "dot":
        return found
    first = operands(value)[:1]  # a dot of nothing has no operands
    if first and type(first[0]) is Value and first[0].label.endswith(".w0"):
        return _NEURON.match(first[0].label)
    return None
