"""`Value`: one scalar and the operation that made it, so the graph can be walked back later.

Memory layout (why it looks like this): a node keeps at most two operands in the slots `_a` and
`_b` instead of a tuple of parents, and keeps no closure, so a node costs about 100 bytes and no
node ever refers to itself. Graphs are freed by reference counting alone; the cycle collector has
nothing to do. An operand is a `Value` or a plain float (a constant, as in `x * 2`); n-ary ops
(`dot`, `sum`) keep a tuple of operands in `_a`.

`operands` and `parents` below read that layout back. The derivatives live in `engine.rules`,
the walks in `engine.graph` and `engine.backprop`.
"""

from __future__ import annotations

import math
import threading
from numbers import Real

_new = object.__new__


class GradMode(threading.local):
    """Whether the calling thread records new nodes; each thread has its own, and starts on."""

    recording = True


grad_mode = GradMode()
# How many threads have recording off. While it is 0 (nearly always), `make_node` reads this one
# global and records; only otherwise does it look up the calling thread's `grad_mode`.
_threads_not_recording = 0
_switching = threading.Lock()


def set_recording(on: bool) -> bool:
    """Switch recording on or off for the calling thread; returns how it was (for `no_grad`)."""
    global _threads_not_recording
    was = grad_mode.recording
    if on != was:
        with _switching:
            _threads_not_recording += 1 if was else -1
            grad_mode.recording = on
    return was


class Value:
    """A scalar in a computation graph: `data`, the gradient `grad`, and how it was made."""

    __slots__ = ("data", "grad", "label", "op", "_a", "_b")

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:
            data = to_float(data, "Value(data)")
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, not {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = ""
        self._a = None
        self._b = None

    def __init_subclass__(cls, **kwargs):
        # The walks tell nodes from constants by exact type (`type(x) is Value`), which is fast;
        # a subclass would be taken for a constant and get no gradient.
        raise TypeError("Value is not meant to be subclassed; wrap it in a class of your own")

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in operand order; `()` for a leaf."""
        return parents(self)

    def __repr__(self) -> str:
        text = f"Value(data={self.data!r}, grad={self.grad!r}"
        if self.op:
            text += f", op={self.op!r}"
        if self.label:
            text += f", label={self.label!r}"
        return text + ")"

    def __float__(self) -> float:
        return self.data

    def item(self) -> float:
        """The data as a plain float, as PyTorch's `tensor.item()`."""
        return self.data

    def __bool__(self) -> bool:
        """As for a float: False only at 0.0, so `if loss:` reads as it would on a number."""
        return self.data != 0.0

    # Comparisons read the data and return a bool (so max() and sorted() work on Values);
    # == and hash stay identity, because Values are graph nodes that the walks keep in dicts.

    def __lt__(self, other: Value | float) -> bool:
        x = comparable(other)
        return NotImplemented if x is None else self.data < x

    def __le__(self, other: Value | float) -> bool:
        x = comparable(other)
        return NotImplemented if x is None else self.data <= x

    def __gt__(self, other: Value | float) -> bool:
        x = comparable(other)
        return NotImplemented if x is None else self.data > x

    def __ge__(self, other: Value | float) -> bool:
        x = comparable(other)
        return NotImplemented if x is None else self.data >= x

    # ---- arithmetic: the forward value; the derivative of each op is in engine/rules.py ----

    def __add__(self, other: Value | float) -> Value:
        if type(other) is Value:
            return make_node(self.data + other.data, "+", self, other)
        other = constant(other, "+", self, "right")
        return make_node(self.data + other, "+", self, other)

    def __radd__(self, other: float) -> Value:
        other = constant(other, "+", self, "left")
        return make_node(other + self.data, "+", other, self)

    def __sub__(self, other: Value | float) -> Value:
        if type(other) is Value:
            return make_node(self.data - other.data, "-", self, other)
        other = constant(other, "-", self, "right")
        return make_node(self.data - other, "-", self, other)

    def __rsub__(self, other: float) -> Value:
        other = constant(other, "-", self, "left")
        return make_node(other - self.data, "-", other, self)

    def __mul__(self, other: Value | float) -> Value:
        if type(other) is Value:
            return make_node(self.data * other.data, "*", self, other)
        other = constant(other, "*", self, "right")
        return make_node(self.data * other, "*", self, other)

    def __rmul__(self, other: float) -> Value:
        other = constant(other, "*", self, "left")
        return make_node(other * self.data, "*", other, self)

    def __truediv__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = constant(other, "/", self, "right")
        return make_node(_divide(self.data, data_of(other)), "/", self, other)

    def __rtruediv__(self, other: float) -> Value:
        other = constant(other, "/", self, "left")
        return make_node(_divide(other, self.data), "/", other, self)

    def __pow__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = constant(other, "**", self, "right")
        return make_node(_power(self.data, data_of(other)), "**", self, other)

    def __rpow__(self, other: float) -> Value:
        other = constant(other, "**", self, "left")
        return make_node(_power(other, self.data), "**", other, self)

    def __neg__(self) -> Value:
        return make_node(-self.data, "neg", self)

    def __abs__(self) -> Value:
        return make_node(abs(self.data), "abs", self)

    # ---- functions ----

    def relu(self) -> Value:
        x = self.data
        return make_node(0.0 if x < 0.0 else x, "relu", self)  # nan stays nan, as in PyTorch

    def tanh(self) -> Value:
        return make_node(math.tanh(self.data), "tanh", self)

    def sigmoid(self) -> Value:
        return make_node(sigmoid(self.data), "sigmoid", self)

    def exp(self) -> Value:
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp overflows at {self.data!r} (the result is above 1.8e308)"
            ) from None
        return make_node(out, "exp", self)

    def log(self) -> Value:
        x = self.data
        if not x > 0.0:
            raise ValueError(f"log needs a positive input, got {x!r}")
        return make_node(math.log(x), "log", self)

    def sqrt(self) -> Value:
        x = self.data
        if not x >= 0.0:
            raise ValueError(f"sqrt needs a non-negative input, got {x!r}")
        return make_node(math.sqrt(x), "sqrt", self)

    # ---- gradients ----

    def backward(self, gradient: float = 1.0) -> None:
        """Add d self / d node to `.grad` of every node this one depends on (chain rule)."""
        from engine.backprop import backward  # here, not at the top: backprop imports value

        backward(self, gradient)

    def backward_steps(self, gradient: float = 1.0):
        """The same backward pass as `backward()`, one node per `next()`: a generator of `Step`s."""
        from engine.steps import backward_steps  # here, not at the top: steps imports value

        return backward_steps(self, gradient)

    def forward_steps(self):
        """Replay the forward pass that built this node, one node per `next()`: `ForwardStep`s."""
        from engine.forward import forward_steps  # here, not at the top: forward imports value

        return forward_steps(self)

    def detach(self) -> Value:
        """A new leaf with the same data: what comes after it sends no gradient back here."""
        return Value(self.data, self.label)


def operands(node: Value) -> tuple:
    """Everything `node` was computed from, in order: Values and plain-number constants."""
    a = node._a
    if a is None:
        return ()
    if type(a) is tuple:
        return a
    b = node._b
    return (a,) if b is None else (a, b)


def parents(node: Value) -> tuple[Value, ...]:
    """The Values among `node`'s operands, in operand order (a Value used twice shows twice)."""
    return tuple(x for x in operands(node) if type(x) is Value)


def sigmoid(x: float) -> float:
    """The logistic function on a float, finite and accurate for every finite input."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def make_node(data: float, op: str, a, b=None) -> Value:
    """A new node of `op` on operands `a` (and `b`, or a tuple in `a`); under `no_grad` a leaf."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _threads_not_recording and not grad_mode.recording:
        out.op = ""
        out._a = None
        out._b = None
    else:
        out.op = op
        out._a = a
        out._b = b
    return out


def data_of(x) -> float:
    """A Value's data, or a constant operand as it is."""
    return x.data if type(x) is Value else x


def to_float(x, what: str) -> float:
    """`x` (a real number or a Value) as a float, or a TypeError that says `what` it was for."""
    if type(x) is int:
        return float(x)
    if type(x) is Value:
        return x.data
    if isinstance(x, (str, bytes, bool, complex)) or x is None:
        raise TypeError(f"{what} must be a real number, not {type(x).__name__}")
    try:
        return float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a real number, not {type(x).__name__}") from None


def comparable(x):
    """A Value's data or a real number as it is; else None (so Python raises TypeError)."""
    if type(x) is Value:
        return x.data
    if isinstance(x, Real) and not isinstance(x, bool):
        return x
    return None


def constant(x, op: str, value: Value, side: str) -> float:
    """A plain-number operand as a float, or a TypeError that names its type."""
    if type(x) is float:
        return x
    if type(x) is int or (isinstance(x, Real) and not isinstance(x, bool)):
        return float(x)
    them = type(x).__name__
    pair = f"'Value' and '{them}'" if side == "right" else f"'{them}' and 'Value'"
    raise TypeError(
        f"unsupported operand types for {op}: {pair}; a Value combines with int, float or Value"
    )


def _divide(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(f"division by zero in {a!r} / {b!r}")
    return a / b


def _power(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except ValueError:
        if a == 0.0:
            raise ZeroDivisionError(
                f"0.0 cannot be raised to a negative power ({a!r} ** {b!r})"
            ) from None
        raise ValueError(
            f"** of a negative base needs an integer exponent, got {a!r} ** {b!r}"
        ) from None
    except OverflowError:
        raise OverflowError(
            f"** overflows at {a!r} ** {b!r} (the result is above 1.8e308)"
        ) from None
