"""Hypothesis strategies for property-testing derivatives (needs `pip install 'gradstep[testing]'`).

`expressions()` draws a random program over every op of the engine, with shared
subexpressions, and only inputs inside each op's domain. The drawn `Expression` is a function:
call it on Values to build the graph, as many times as you like (finite differences need that).

>>> from hypothesis import given
>>> from engine import gradcheck
>>> from engine.testing import expressions
>>> @given(expressions())
... def test_backward_matches_finite_differences(expr):
...     assert gradcheck(expr, expr.inputs)
"""

from __future__ import annotations

from dataclasses import dataclass, field

try:
    from hypothesis import strategies as st
except ImportError as error:  # gradstep installs Hypothesis only with the `testing` extra
    if not (error.name or "").startswith("hypothesis"):
        raise
    raise ModuleNotFoundError(
        "engine.testing needs Hypothesis, which is not installed: "
        "pip install 'gradstep[testing]' (or pip install hypothesis)",
        name="hypothesis",
    ) from None

from engine.rules import RULES
from engine.value import Value

# Every op the engine has a rule for (the one list of ops is engine.rules.RULES).
UNARY_OPS = tuple(op for op, rule in RULES.items() if rule.kind == "unary")
BINARY_OPS = tuple(op for op, rule in RULES.items() if rule.kind == "binary")
NARY_OPS = tuple(op for op, rule in RULES.items() if rule.kind == "nary")
ALL_OPS = tuple(RULES)

# How far from a kink (relu, abs at 0) or a domain edge an operand must be at the drawn inputs,
# so that the derivative is smooth over a finite-difference step.
MARGIN = 1e-2
LIMIT = 50.0  # larger intermediates are squashed with tanh, to keep derivatives moderate


@dataclass
class Expression:
    """A drawn program: `inputs` (the point to evaluate at) and `steps` that build the graph."""

    inputs: list[float]
    steps: list[tuple] = field(default_factory=list)

    def __call__(self, *xs: Value) -> Value:
        if len(xs) != len(self.inputs):
            raise ValueError(f"this expression takes {len(self.inputs)} inputs, got {len(xs)}")
        pool = list(xs)
        for step in self.steps:
            pool.append(_apply(pool, step))
        return pool[-1]

    def leaves(self) -> list[Value]:
        """Fresh leaves at `inputs`, labelled x0, x1, ..."""
        return [Value(x, f"x{i}") for i, x in enumerate(self.inputs)]

    def __repr__(self) -> str:
        names = [f"x{i}" for i in range(len(self.inputs))]
        lines = [f"inputs = {self.inputs}"]
        for step in self.steps:
            names.append(f"v{len(names)}")
            lines.append(f"{names[-1]} = {_show(step, names)}")
        return "Expression(\n  " + "\n  ".join(lines) + "\n)"


def _ref(pool, x):
    return pool[x[1]] if isinstance(x, tuple) else x


def _apply(pool: list, step: tuple) -> Value:
    op, args = step[0], step[1:]
    call = RULES[op].call
    if op in NARY_OPS:
        return call([_ref(pool, x) for x in args[0]])
    return call(*[_ref(pool, x) for x in args])


def _show(step: tuple, names: list[str]) -> str:
    def ref(x):
        return names[x[1]] if isinstance(x, tuple) else repr(x)

    op, args = step[0], step[1:]
    if op in NARY_OPS:
        return f"{op}({', '.join(ref(x) for x in args[0])})"
    if op in UNARY_OPS:
        return f"{op}({ref(args[0])})"
    return f"{ref(args[0])} {op} {ref(args[1])}"


def _data(pool, x) -> float:
    x = _ref(pool, x)
    return x.data if isinstance(x, Value) else x


@st.composite
def expressions(
    draw,
    min_inputs: int = 1,
    max_inputs: int = 3,
    max_ops: int = 8,
    ops: tuple[str, ...] = ALL_OPS,
    low: float = -2.0,
    high: float = 2.0,
) -> Expression:
    """Strategy for random `Expression`s over `ops`, inputs drawn from [low, high].

    Operands are drawn from everything computed so far, so subexpressions are shared (a node
    used by several later nodes). Domains are kept by construction: log, sqrt and the base of
    a real power get a positive operand (`u*u + c` where needed), divisors stay away from 0,
    relu and abs stay away from their kink, and large intermediates are squashed with tanh.
    """
    bad = set(ops) - set(ALL_OPS)
    if bad:
        raise ValueError(f"unknown ops {sorted(bad)}; choose from {ALL_OPS}")
    n = draw(st.integers(min_inputs, max_inputs))
    number = st.floats(low, high, allow_nan=False, allow_infinity=False)
    program = _Program(draw, Expression([draw(number) for _ in range(n)]))
    for _ in range(draw(st.integers(1, max_ops))):
        program.draw_step(draw(st.sampled_from(ops)))
    return program.expr


class _Program:
    """An `Expression` being drawn, one step at a time, with every value kept in its domain."""

    def __init__(self, draw, expr: Expression) -> None:
        self.draw = draw
        self.expr = expr
        self.pool: list = expr.leaves()
        # indices into pool of the values later steps may use (all bounded)
        self.usable = list(range(len(expr.inputs)))

    def add(self, step: tuple) -> tuple:
        """Append a step (and a tanh after it if its value is large); return a ref to the result."""
        self.pool.append(_apply(self.pool, step))
        self.expr.steps.append(step)
        last = ("ref", len(self.pool) - 1)
        if abs(_data(self.pool, last)) > LIMIT:
            return self.add(("tanh", last))
        self.usable.append(last[1])
        return last

    def positive(self, x: tuple, floor: float) -> tuple:
        """x itself if it is comfortably positive, else x*x + floor."""
        if _data(self.pool, x) > floor:
            return x
        return self.add(("+", self.add(("*", x, x)), floor))

    def away_from_zero(self, x: tuple) -> tuple:
        if abs(_data(self.pool, x)) > MARGIN:
            return x
        return self.add(("+", x, 0.5))

    def draw_step(self, op: str) -> None:
        draw = self.draw
        self.pick = st.sampled_from(self.usable).map(lambda i: ("ref", i))
        self.constant = st.floats(-3.0, 3.0, allow_nan=False).filter(lambda c: abs(c) > MARGIN)
        a = draw(self.pick)
        if op in NARY_OPS:
            self.nary(op)
        elif op in ("log", "sqrt"):
            self.add((op, self.positive(a, 0.1)))
        elif op in ("relu", "abs"):
            self.add((op, self.away_from_zero(a)))
        elif op in UNARY_OPS:
            self.add((op, a))
        elif op == "**":
            self.power(a)
        else:
            self.binary(op, a)

    def nary(self, op: str) -> None:
        draw, pick, constant = self.draw, self.pick, self.constant
        k = draw(st.integers(1, 4))
        xs = [draw(pick | constant) if op == "sum" else draw(pick) for _ in range(k)]
        if op == "dot":
            xs += [draw(pick | constant) for _ in range(k)]
        self.add((op, tuple(xs)))

    def power(self, a: tuple) -> None:
        draw = self.draw
        kind = draw(st.sampled_from(["integer", "real", "value", "constant base"]))
        if kind == "integer":
            if abs(_data(self.pool, a)) > MARGIN:
                self.add(("**", a, float(draw(st.integers(-2, 3)))))
            else:
                self.add(("**", a, float(draw(st.integers(1, 3)))))
        elif kind == "real":
            self.add(("**", self.positive(a, 0.1), draw(st.floats(-1.5, 2.5))))
        elif kind == "value":
            self.add(("**", self.positive(a, 0.1), draw(self.pick)))
        else:
            self.add(("**", draw(st.floats(0.2, 3.0)), a))

    def binary(self, op: str, a: tuple) -> None:
        b = self.draw(self.pick | self.constant)
        if self.draw(st.booleans()) and not isinstance(b, tuple):
            a, b = b, a  # a constant on the left: 2 - x, 3 / x
        if op == "/":
            b = self.away_from_zero(b) if isinstance(b, tuple) else b
        self.add((op, a, b))
