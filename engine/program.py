"""A traced graph's functions, assembled from the lines `engine.codegen` writes, and compiled.

`generate` names the graph's nodes and writes its lines once (`engine.codegen.Lines`); the
graph is not kept. Each function is assembled from those lines when first asked for, and
compiled with `exec` in a namespace that holds only the helpers the lines call.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from engine.codegen import NAMESPACE, Lines, items
from engine.value import Value


class Program:
    """A traced graph written as Python: its parameters, its lines, and functions made of them.

    The lines are written once, from the graph, and the graph is not kept; each function
    (`source(kind)`) is assembled from them and compiled when first asked for:

    - `value_and_grad(params, *args, seed=1.0)` -> (value, grads): one call (one output only);
    - `forward(params, *args)` -> the value, or the tuple of outputs;
    - `forward_batch(params, calls)` -> each call's outputs (a tuple each), nothing else: many
      calls forward with the parameters read once, no tape kept, nothing observed;
    - `batch(params, calls, seed)` -> (values, summed grads): many calls (one output only);
    - `vjp_forward(params, calls)` -> (outputs, tape) and `vjp_backward(params, tape, grads,
      start)` -> each parameter's `start` plus every call's contribution, added one at a time:
      the forward pass of many calls, then their backward pass with the upstream grads of the
      outputs (a vector-Jacobian product), for when a loss in between is computed otherwise;
    - `vjp_forward_observed(params, calls)` -> (outputs, tape, observed): vjp_forward that also
      hands out each call's observed values (nodes of the graph, nested as they were given).
      They are read, not differentiated: the backward lines are the same either way.
    """

    def __init__(
        self,
        roots: list[Value],
        inputs: dict[Value, str],
        arg_names: list[str],
        unpacks: list[str],
        observed: Any = None,
    ) -> None:
        w = Lines(roots, inputs, arg_names)
        self.params: list[Value] = w.params
        self.single = len(roots) == 1
        self.args = ", ".join(arg_names)
        self.loop_args = self.args + ("," if len(arg_names) == 1 else "") if arg_names else "_"
        self.unpacks = unpacks
        self.param_names = [w.names[p] for p in w.params]
        self.param_grads = [w.grad_names[p] for p in w.params]
        self.outputs = [w.names[r] for r in roots]
        self.output_grads = [w.grad_names.get(r) for r in roots]
        self.forward = w.forward_lines()
        self.backward = w.backward_lines()
        params = set(w.params)
        inner = [n for n in reversed(w.order) if n in w.grads and n not in params]
        self.inner_grads = [w.grad_names[n] for n in inner]
        self.saved = [w.names[n] for n in w.order if n in w.refs and n not in params]
        self.upstream = [w.pool.fresh(f"upstream_{k}", "u") for k in range(len(roots))]
        self.observed = None if observed is None else _observe(observed, w.names)
        self.sources: dict[str, str] = {}
        self.functions: dict[str, Callable] = {}

    def function(self, kind: str) -> Callable:
        """The compiled function `kind` (see the class docstring), compiled once."""
        fn = self.functions.get(kind)
        if fn is None:
            scope = dict(NAMESPACE)
            code = builtins.compile(self.source(kind), f"<engine.compile {kind}>", "exec")
            exec(code, scope)
            fn = self.functions[kind] = scope[kind]
        return fn

    def source(self, kind: str) -> str:
        text = self.sources.get(kind)
        if text is None:
            if kind in ("value_and_grad", "batch") and not self.single:
                raise TypeError(f"{kind} needs a function of one output; this one has several")
            if kind == "vjp_forward_observed" and self.observed is None:
                raise TypeError("vjp_forward_observed needs a trace with observed values")
            text = self.sources[kind] = getattr(self, "_" + kind)()
        return text

    # ---- the functions, assembled from the lines ----

    def _reads(self) -> list[str]:
        if not self.param_names:
            return []
        return [
            "# the parameters' current values",
            *_wrap("(", self.param_names, ") = [p.data for p in params]"),
        ]

    def _seeds(self, upstream: list[str]) -> list[str]:
        return [f"{g} += {u}" for g, u in zip(self.output_grads, upstream) if g]

    def _value_and_grad(self) -> str:
        return _function(
            f"value_and_grad({', '.join(['params', *filter(None, [self.args])])}, seed=1.0)",
            "Forward and backward for one call: (value, d value / d each parameter).",
            [
                *self._reads(),
                "# forward: one line per node",
                *self.unpacks,
                *self.forward,
                "# backward: d_v is d out / d v; each node sends local derivative · d_v back",
                *_wrap_zeros(self.param_grads + self.inner_grads),
                *self._seeds(["seed"]),
                *self.backward,
                *_wrap(f"return {self.outputs[0]}, (", self.param_grads, ")"),
            ],
        )

    def _forward(self) -> str:
        out = self.outputs[0] if self.single else f"({items(self.outputs)})"
        return _function(
            f"forward({', '.join(['params', *filter(None, [self.args])])})",
            "The value of one call, nothing else.",
            [*self._reads(), *self.unpacks, *self.forward, f"return {out}"],
        )

    def _batch(self) -> str:
        call = [
            *self.unpacks,
            *self.forward,
            f"values.append({self.outputs[0]})",
            *_wrap_zeros(self.inner_grads),
            *self._seeds(["seed"]),
            *self.backward,
        ]
        return _function(
            "batch(params, batch, seed=1.0)",
            "Each call's value, and seed·Σ d value / d each parameter over the calls.",
            [
                *self._reads(),
                *_wrap_zeros(self.param_grads),
                "values = []",
                f"for {self.loop_args} in batch:",
                *["    " + line for line in call],
                *_wrap("return values, (", self.param_grads, ")"),
            ],
        )

    def _forward_batch(self) -> str:
        return self._forwards("forward_batch", taping=False, observing=False)

    def _vjp_forward(self) -> str:
        return self._forwards("vjp_forward", taping=True, observing=False)

    def _vjp_forward_observed(self) -> str:
        return self._forwards("vjp_forward_observed", taping=True, observing=True)

    def _forwards(self, name: str, taping: bool, observing: bool) -> str:
        """forward_batch; vjp_forward (taping): the same lines, and one more; or
        vjp_forward_observed (taping and observing): yet one more."""
        call = [
            *self.unpacks,
            *self.forward,
            f"outputs.append(({items(self.outputs)}))",
            *(_wrap("tape.append((", self.saved, "))") if taping else []),
            *(self.observed if observing else []),
        ]
        what = ", the values its backward pass will need" if taping else ""
        what += ", and the observed values" if observing else ""
        returns = ["outputs", *(["tape"] if taping else []), *(["observed"] if observing else [])]
        return _function(
            f"{name}(params, batch)",
            f"Each call's outputs{what}.",
            [
                *self._reads(),
                "outputs = []",
                *(["tape = []"] if taping else []),
                *(["observed = []"] if observing else []),
                f"for {self.loop_args} in batch:",
                *["    " + line for line in call],
                f"return {', '.join(returns)}",
            ],
        )

    def _vjp_backward(self) -> str:
        call = [
            *_wrap_zeros(self.inner_grads),
            *self._seeds(self.upstream),
            *self.backward,
        ]
        return _function(
            "vjp_backward(params, tape, grads, start)",
            "start + upstream · d outputs / d each parameter, call by call, in the order given.",
            [
                *self._reads(),
                *(_wrap("(", self.param_grads, ") = start") if self.param_grads else []),
                *_wrap("for (", self.saved, f"), ({items(self.upstream)}) in zip(tape, grads):"),
                *["    " + line for line in call],
                *_wrap("return (", self.param_grads, ")"),
            ],
        )


def generate(
    roots: list[Value],
    inputs: dict[Value, str],
    arg_names: list[str],
    unpacks: list[str],
    observed: Any = None,
) -> Program:
    """The program of the graph of `roots` (one output, or several): `inputs` maps the argument
    leaves to their names, `unpacks` are the lines that take the arguments apart; `observed`
    (None, or a Value or nested lists of Values of that graph) is what vjp_forward_observed
    also returns."""
    return Program(list(roots), inputs, arg_names, unpacks, observed)


def _observe(observed: Any, names: dict[Value, str]) -> list[str]:
    """The line(s) that append a call's observed values to `observed`."""
    if type(observed) is Value:
        return [f"observed.append({_structure(observed, names)})"]
    parts = [_structure(v, names) for v in observed]
    return _wrap("observed.append((", parts, "))") if parts else ["observed.append(())"]


def _structure(observed: Any, names: dict[Value, str]) -> str:
    """The observed values as a tuple expression of their names, nested as they were given."""
    if type(observed) is Value:
        name = names.get(observed)
        if name is None:
            raise ValueError(
                "compile_outputs: an observed Value is not in the outputs' graph; observe only "
                "values the outputs are computed from (a hidden layer's, say)"
            )
        return name
    return f"({items([_structure(v, names) for v in observed])})" if observed else "()"


def _wrap(head: str, names: list[str], tail: str, width: int = 92) -> list[str]:
    """`head` + the names, comma-separated + `tail`: on one line, or wrapped when too long."""
    line = f"{head}{items(names) if names else ''}{tail}"
    if len(line) <= width:
        return [line]
    rows = _rows([*names[:-1], names[-1] + ("," if len(names) == 1 else "")], width)
    return [head, *["    " + row for row in rows], tail.lstrip()]


def _rows(names: list[str], width: int) -> list[str]:
    rows, row = [], []
    for name in names:
        if row and len(", ".join([*row, name])) > width:
            rows.append(", ".join(row) + ",")
            row = []
        row.append(name)
    rows.append(", ".join(row))
    return rows


def _wrap_zeros(names: list[str], width: int = 96) -> list[str]:
    """`a = b = c = 0.0` over as many lines as it takes."""
    lines, line = [], []
    for name in names:
        if line and len(" = ".join([*line, name])) > width:
            lines.append(" = ".join(line) + " = 0.0")
            line = []
        line.append(name)
    if line:
        lines.append(" = ".join(line) + " = 0.0")
    return lines


def _function(signature: str, doc: str, lines: list[str]) -> str:
    body = "\n".join("    " + line for line in [f'"""{doc}"""', *lines])
    return f"def {signature}:\n{body}\n"
