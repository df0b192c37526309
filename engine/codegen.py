"""A traced graph written out as straight-line Python: one line per node, forward then backward.

`engine.compile` traces a function once and `Lines` writes the graph it built: the forward
pass as one assignment per node (named after the node's label) and the backward pass as one
line per node in reverse topological order, `if d_v: d_a += <local> * d_v; ...`, the chain
rule with every object gone (`engine.program` makes functions of them). The lines compute the
same floats as `Value.backward()`:

- each op's forward is the expression its `Value` method evaluates (`dot` is `sum` of the
  products with start 0.0, as `engine.dot`);
- each local derivative is its rule's formula in `engine.rules`, written as Python (the
  templates below; tests/test_compile.py checks each against its rule, bit for bit);
- contributions go in backward's order (reverse topological order, operands in order) into
  accumulators that start at 0.0, and a node whose upstream grad is 0.0 sends nothing, as in
  `engine.backprop.backward`; a node's derivative that can raise (`sqrt` at 0, `**`) is
  evaluated wherever backward would evaluate it, even if no parameter needs it.

Labels are untrusted text and the source is run with `exec`: a label only ever reaches the
source as an identifier made of [A-Za-z0-9_], never inside a string or a comment.
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
import sys

from engine.graph import topological_order
from engine.rules import RULES, sign
from engine.value import Value, operands, sigmoid

# How each op computes its value, exactly as its `Value` method does ({a}, {b}: operands).
FORWARD = {
    "neg": "-{a}",
    "abs": "abs({a})",
    "relu": "{a} if {a} > 0.0 else 0.0",
    "tanh": "tanh({a})",
    "sigmoid": "sigmoid({a})",
    "exp": "exp({a})",
    "log": "log({a})",
    "sqrt": "sqrt({a})",
    "+": "{a} + {b}",
    "-": "{a} - {b}",
    "*": "{a} * {b}",
    "/": "{a} / {b}",
    "**": "power({a}, {b})",
}

# Each rule's local derivatives as Python, per operand ({out}: the node's value). `**`, `dot`
# and `sum` are written per node by `_Writer.partials`.
PARTIALS = {
    "neg": ("-1.0",),
    "abs": ("sign({a})",),
    "relu": ("(1.0 if {a} > 0.0 else 0.0)",),
    "tanh": ("4.0 * sigmoid(2.0 * {a}) * sigmoid(-2.0 * {a})",),
    "sigmoid": ("{out} * sigmoid(-{a})",),
    "exp": ("{out}",),
    "log": ("1.0 / {a}",),
    "sqrt": ("0.5 / {out}",),
    "+": ("1.0", "1.0"),
    "-": ("1.0", "-1.0"),
    "*": ("{b}", "{a}"),
    "/": ("1.0 / {b}", "-{out} / {b}"),
}

# Before Python 3.12, sum() of floats adds them left to right, so `0.0 + a + b` is the same
# number and runs faster; from 3.12 on, sum() compensates its rounding, so the lines call it.
PLAIN_SUM = sys.version_info < (3, 12)

# Ops whose local derivative can raise where the forward pass did not (sqrt'(0), x ** -0.5 at
# 0, the exponent's derivative at a negative base): backward evaluates them, so must we.
RAISING = ("sqrt", "**")


def _log(x: float) -> float:
    return math.log(x) if x > 0.0 else Value(x).log().data  # Value raises the engine's error


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else Value(x).sqrt().data


def _power(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except (ValueError, OverflowError):
        return (Value(a) ** b).data  # raises the engine's own error for these numbers


# The only globals the generated code sees (no builtins beyond these).
NAMESPACE = {
    "__builtins__": {},
    "abs": builtins.abs,
    "sum": builtins.sum,
    "zip": builtins.zip,
    "tanh": math.tanh,
    "exp": math.exp,
    "log": _log,
    "sqrt": _sqrt,
    "power": _power,
    "sigmoid": sigmoid,
    "sign": sign,
    "d_pow_d_base": RULES["**"].partials[0],
    "d_pow_d_exponent": RULES["**"].partials[1],
    "inf": math.inf,
    "nan": math.nan,
}
# Names the generated code uses for itself; no node may be called by one of them.
RESERVED = {*NAMESPACE, "_", "p", "params", "batch", "seed", "values", "outputs", "tape", "grads"}
RESERVED.add("observed")  # vjp_forward_observed's list of what it observed


_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_]")


class Names:
    """Unique Python identifiers made from labels: [A-Za-z0-9_] only, never a keyword."""

    def __init__(self) -> None:
        self.used: set[str] = set(RESERVED)

    def fresh(self, text: str, fallback: str) -> str:
        """A new name from `text` (a label), or from `fallback` if nothing of it is usable."""
        base = _NOT_ALLOWED.sub("_", text[:40] if isinstance(text, str) else "")
        if not base.strip("_"):
            base = fallback
        if base[0].isdigit():
            base = "_" + base
        if keyword.iskeyword(base):
            base += "_"
        name, k = base, 1
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name


def literal(x: float) -> str:
    """A float constant as source that evaluates to exactly the same float."""
    if type(x) is not float:
        raise TypeError(f"compile: an operand is neither a Value nor a float: {type(x).__name__}")
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "(-inf)"
    text = repr(x)
    return f"({text})" if text.startswith("-") else text


class Lines:
    """Names every node of the graph and writes its forward and backward lines."""

    def __init__(self, roots: list[Value], inputs: dict[Value, str], arg_names: list[str]) -> None:
        self.order = _order(roots)
        self.names: dict[Value, str] = {}
        self.pool = pool = Names()
        pool.used.update(arg_names, inputs.values())
        self.params: list[Value] = []
        for node in self.order:
            for x in _leaves(node):
                if x not in inputs and x not in self.names:
                    self.params.append(x)
                    self.names[x] = pool.fresh(x.label, f"p{len(self.params) - 1}")
        self.names.update(inputs)
        for i, node in enumerate(self.order):
            if node not in self.names:
                if node._a is None:  # fn returned a leaf it closes over: a parameter
                    self.params.append(node)
                self.names[node] = pool.fresh(node.label, f"v{i}")
        self.grads = self._needs_grad()
        self.grad_names = {node: pool.fresh("d_" + self.names[node], "d") for node in self.grads}
        self.refs: set[Value] = set()  # what the backward lines read

    def _needs_grad(self) -> set[Value]:
        """Nodes whose grad the backward lines must carry: those a parameter's grad flows
        through, and those on the way to a node whose derivative can raise."""
        params = set(self.params)
        leads, raising = set(), set()
        for node in self.order:
            xs = _value_operands(node)
            if node in params or any(x in leads for x in xs):
                leads.add(node)
            if node.op in RAISING or any(x in raising for x in xs):
                raising.add(node)
        return leads | raising

    # ---- lines ----

    def operand(self, x) -> str:
        return self.names[x] if type(x) is Value else literal(x)

    def forward_lines(self) -> list[str]:
        return [self.forward_line(node) for node in self.order if node._a is not None]

    def forward_line(self, node: Value) -> str:
        op, xs = node.op, operands(node)
        me = self.names[node]
        if op == "dot":  # Σ mul(xs[i], ys[i]) from 0.0, as engine.dot adds them
            half = len(xs) // 2
            terms = [self.product(x, y) for x, y in zip(xs[:half], xs[half:])]
            return f"{me} = {_total(terms)}  # dot"
        if op == "sum":
            return f"{me} = {_total([self.operand(x) for x in xs])}"
        template = FORWARD.get(op)
        if template is None or len(xs) != (1 if RULES[op].kind == "unary" else 2):
            raise ValueError(f"compile does not know the op of a node ({_show(op)})")
        names = dict(zip("ab", (self.operand(x) for x in xs)))
        comment = "  # relu" if op == "relu" else ""
        return f"{me} = {template.format(**names)}{comment}"

    def product(self, x, y) -> str:
        if type(y) is float and y == 1.0:
            return self.operand(x)  # x * 1.0 is x, to the bit
        if type(x) is float and x == 1.0:
            return self.operand(y)
        return f"{self.operand(x)} * {self.operand(y)}"

    def backward_lines(self) -> list[str]:
        lines = []
        for node in reversed(self.order):
            if node in self.grads and node._a is not None:
                line = self.backward_line(node)
                if line:
                    lines.append(line)
        return lines

    def backward_line(self, node: Value) -> str | None:
        """`if d_v: d_a += local * d_v; ...` for the operands that need a grad."""
        g = self.grad_names[node]
        sends = []
        for x, local in self.partials(node):
            if x in self.grads and node.op == "relu":  # (1.0 if a > 0 else 0.0) * g, unrolled
                a = self.names[x]
                sends.append(f"{self.grad_names[x]} += {g} if {a} > 0.0 else 0.0 * {g}")
            elif x in self.grads:
                sends.append(_send(self.grad_names[x], local, g))
            elif node.op in RAISING:
                sends.append(f"_ = {local}")  # backward evaluates it, and it may raise
        if not sends:
            return None
        self.refs.update(_value_operands(node))  # what these lines read: the tape keeps them
        self.refs.add(node)
        return f"if {g}: " + "; ".join(sends)

    def partials(self, node: Value) -> list[tuple[Value, str]]:
        """(operand, its local derivative as source) for every Value operand, in order."""
        op, xs = node.op, operands(node)
        if op == "sum":
            return [(x, "1.0") for x in xs if type(x) is Value]
        if op == "dot":  # d/dxs[i] = ys[i], d/dys[i] = xs[i]
            half = len(xs) // 2
            partners = [*xs[half:], *xs[:half]]
            return [(x, self.operand(p)) for x, p in zip(xs, partners) if type(x) is Value]
        if op == "**":
            return self.power_partials(node, *xs)
        if op == "/" and type(xs[1]) is float:  # 1/b for a constant b, worked out once
            return [(xs[0], literal(1.0 / xs[1]))]
        names = dict(zip("ab", (self.operand(x) for x in xs)), out=self.names[node])
        return [
            (x, template.format(**names))
            for x, template in zip(xs, PARTIALS[op])
            if type(x) is Value
        ]

    def power_partials(self, node: Value, a, b) -> list[tuple[Value, str]]:
        out, an, bn = self.names[node], self.operand(a), self.operand(b)
        found = []
        if type(a) is Value:
            if type(b) is float:  # the rule's b·a**(b - 1), with b - 1 worked out once
                base = "0.0" if b == 0.0 else f"{bn} * {an} ** {literal(b - 1.0)}"
            else:
                base = f"d_pow_d_base({an}, {bn}, {out})"
            found.append((a, base))
        if type(b) is Value:
            if type(a) is float and a > 0.0:  # the rule's out·log(a), log(a) worked out once
                exponent = f"{out} * {literal(math.log(a))}"
            else:
                exponent = f"d_pow_d_exponent({an}, {bn}, {out})"
            found.append((b, exponent))
        return found


def _send(target: str, local: str, g: str) -> str:
    if local == "1.0":
        return f"{target} += {g}"
    if local == "-1.0":
        return f"{target} -= {g}"
    return f"{target} += {local} * {g}"


def _total(terms: list[str]) -> str:
    """The terms added up from 0.0 exactly as `sum(terms, 0.0)` adds them (engine.dot's way)."""
    if PLAIN_SUM:
        return " + ".join(["0.0", *terms])  # faster: no call, no tuple; the same additions
    return f"sum(({items(terms)}), 0.0)"


def items(names: list[str]) -> str:
    """Comma-separated, as the inside of a tuple (`a,` for one)."""
    return names[0] + "," if len(names) == 1 else ", ".join(names)


def _value_operands(node: Value) -> list[Value]:
    return [x for x in operands(node) if type(x) is Value]


def _leaves(node: Value) -> list[Value]:
    return [x for x in _value_operands(node) if x._a is None]


def _order(roots: list[Value]) -> list[Value]:
    """A topological order of everything the roots depend on (each root's own order, merged)."""
    if len(roots) == 1:
        return topological_order(roots[0])
    order, seen = [], set()
    for root in roots:
        for node in topological_order(root):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _show(op) -> str:
    text = repr(op)
    return text[:40] + "..." if len(text) > 40 else text
