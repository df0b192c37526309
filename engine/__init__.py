"""gradstep's engine: scalar reverse-mode autodiff you can read, step through and check.

>>> from engine import Value
>>> a, b = Value(2.0, label='a'), Value(-3.0, label='b')
>>> c = a * b
>>> c.backward()
>>> a.grad, b.grad
(-3.0, 2.0)
"""

from engine.backprop import grad, local_grads
from engine.compiler import (
    compile,  # noqa: F401 - engine.compile; not in __all__, so * keeps builtins.compile
)
from engine.explain import explain
from engine.forward import ForwardStep, forward_steps
from engine.gradcheck import GradcheckError, gradcheck
from engine.graph import topological_order
from engine.nary import (
    dot,
    matvec,
    sum,  # noqa: F401 - engine.sum; not in __all__, so * keeps builtins.sum
)
from engine.no_grad import is_grad_enabled, no_grad
from engine.steps import Step, backward_steps
from engine.value import Value, parents

__all__ = [
    "ForwardStep",
    "GradcheckError",
    "Step",
    "Value",
    "backward_steps",
    "dot",
    "explain",
    "forward_steps",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "local_grads",
    "matvec",
    "no_grad",
    "parents",
    "topological_order",
]
