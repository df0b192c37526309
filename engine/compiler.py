"""`compile`: trace a function's graph once, then run it as straight-line Python, no graph at all.

A network's graph has the same shape at every step; only the numbers change. `compile(fn,
*example_args)` calls `fn` once on Values made from the float arguments, writes the graph it
built as Python (`engine.codegen`: one line per node, forward then backward) and runs that
from then on: every index and branch was settled at trace time, and no node is made.

>>> from engine import Value, compile
>>> w = Value(0.5, label='w')
>>> f = compile(lambda x: (w * x).tanh(), 2.0)
>>> round(f(2.0), 6), round(f.value_and_grad(1.0), 6), round(w.grad, 6)
(0.761594, 0.462117, 0.786448)

The rule that makes it sound: Python control flow in `fn` may depend on ints (they are static:
each new value traces once more) but not on a Value's `.data`, which is read once, at trace
time; `check=True` runs the first calls eagerly as well and raises if the numbers differ.
"""

from __future__ import annotations

import inspect
import math
import threading
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any

from engine.backprop import grad
from engine.codegen import Names
from engine.no_grad import is_grad_enabled
from engine.program import Program, generate
from engine.value import Value, to_float

MAX_TRACES = 64  # more means an int argument takes many values: it should be a float
CHECKED_CALLS = 10  # calls compared with eager by check=True
_FLOAT = "float"


class CompileCheckError(RuntimeError):
    """A compiled function and the eager one it was traced from gave different numbers."""


class Compiled:
    """A function traced into straight-line Python; see `compile`.

    `f(*args)` is the value; `f.value_and_grad(*args)` also adds d value / d p to `p.grad` for
    every parameter p (a Value `fn` closes over); `f.parameters` lists them in first-use order;
    `f.source` is the generated Python of the example arguments' trace.
    """

    def __init__(self, fn: Callable[..., Value], check: bool | int = False) -> None:
        if not callable(fn):
            raise TypeError(f"compile needs a function, not {type(fn).__name__}")
        if isinstance(check, bool):
            check = CHECKED_CALLS if check else 0
        self.fn = fn
        self.checks_left = int(check)
        self.traces: dict[tuple, Program] = {}
        self.first: Program | None = None
        self.lock = threading.RLock()

    # ---- what it shows ----

    @property
    def source(self) -> str:
        """The Python this function runs for its example arguments: forward, then backward."""
        if self.first.single:
            return self.first.source("value_and_grad")
        return self.first.source("vjp_forward") + "\n" + self.first.source("vjp_backward")

    @property
    def parameters(self) -> list[Value]:
        """The Values `fn` closes over and reads, which gradients go to, in first-use order."""
        found: dict[Value, None] = {}
        for program in self.traces.values():
            found.update(dict.fromkeys(program.params))
        return list(found)

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", "fn")
        return f"<compiled {name}: {len(self.traces)} trace(s), {len(self.parameters)} parameters>"

    # ---- running it ----

    def __call__(self, *args) -> float:
        """fn(*args)'s value, computed by the traced code; nothing is recorded."""
        program, args = self.program(args)
        value = program.function("forward")(program.params, *args)
        if self.checks_left:
            self.check(args, value, None)
        return value

    def value_and_grad(self, *args, **options) -> float:
        """fn(*args)'s value; adds d value / d p into p.grad for every parameter, as
        `fn(*args).backward()` would (grads accumulate, as in PyTorch)."""
        if options:
            _eager_only(options)
        program, args = self.program(args)
        value, grads = program.function("value_and_grad")(program.params, *args)
        if self.checks_left:
            self.check(args, value, grads)
        _add_grads([(program.params, grads)])
        return value

    def value_and_grad_sum(self, batch: Sequence[tuple], gradient: float = 1.0) -> list[float]:
        """value_and_grad for each argument tuple in `batch`, the gradients summed: returns each
        call's value, and adds gradient · Σ d value / d p into p.grad (once per parameter).

        The parameters stay in local variables for the whole batch, which is what makes a
        training step faster than one call per sample. If any call fails, no grad changes.
        """
        gradient = to_float(gradient, "gradient")
        values: list = [None] * len(batch)
        sums = []
        for program, where, calls in self.groups(batch):
            got, grads = program.function("batch")(program.params, calls, gradient)
            for i, value in zip(where, got):
                values[i] = value
            sums.append((program.params, grads))
            for args, value in zip(calls, got):
                if self.checks_left:
                    self.check(args, value, None)
        _add_grads(sums)
        return values

    def groups(self, batch: Sequence[tuple]) -> list[tuple[Program, list[int], list[tuple]]]:
        """The calls of `batch` by trace: (program, their places in batch, their arguments)."""
        groups: dict[int, tuple[Program, list[int], list[tuple]]] = {}
        for i, args in enumerate(batch):
            if type(args) is not tuple:
                raise TypeError(
                    f"batch[{i}] must be a tuple of fn's arguments, e.g. (x, y), "
                    f"not {type(args).__name__}"
                )
            program, args = self.program(args)
            group = groups.get(id(program))
            if group is None:
                group = groups[id(program)] = (program, [], [])
            group[1].append(i)
            group[2].append(args)
        return list(groups.values())

    def returned(self, result) -> tuple[list[Value], Any]:
        """What fn returned, checked: (its outputs, what it observed: None here)."""
        return self.outputs(result), None

    def outputs(self, out) -> list[Value]:
        """What fn returned, checked: one Value (as a list of one)."""
        if type(out) is not Value:
            hint = " (did it return .data? return the Value itself)" if type(out) is float else ""
            raise TypeError(f"compile: fn must return a Value, not {type(out).__name__}{hint}")
        return [out]

    # ---- eager-only things, said so ----

    def backward(self, *args, **kwargs):
        raise TypeError(
            "a compiled function has no graph to call backward on: use f.value_and_grad(*args), "
            "or fn(*args).backward() on the eager graph"
        )

    def backward_steps(self, *args, **kwargs):
        raise TypeError(
            "backward_steps is eager-only: a compiled function keeps no nodes to step through; "
            "call fn(*args).backward_steps() on the graph fn builds"
        )

    # ---- traces ----

    def program(self, args: tuple) -> tuple[Program, tuple]:
        """The trace for arguments of this structure (traced now if new), and the args as
        the traced code takes them."""
        try:
            key = tuple(map(_key, args))
        except _Convert:
            args = tuple(_convert(a, f"argument {i}") for i, a in enumerate(args))
            key = tuple(map(_key, args))
        program = self.traces.get(key)
        if program is None:
            with self.lock:
                program = self.traces.get(key) or self.trace(key, args)
        return program, args

    def trace(self, key: tuple, args: tuple) -> Program:
        if len(self.traces) >= MAX_TRACES:
            raise ValueError(
                f"compile: fn has been traced {MAX_TRACES} times, once per new structure or int "
                "value of its arguments (ints are static); pass numbers that vary as floats"
            )
        if not is_grad_enabled():
            raise RuntimeError(
                "compile traces fn by recording its graph, and no_grad is on: trace (call compile, "
                "or f with arguments of a new structure) outside no_grad"
            )
        names = Names()
        arg_names = _arg_names(self.fn, len(args), names)
        inputs: dict[Value, str] = {}
        unpacks: list[str] = []
        traced = [_leaves(a, n, inputs, unpacks, names) for a, n in zip(args, arg_names)]
        out, observed = self.returned(self.fn(*traced))
        program = generate(out, inputs, arg_names, unpacks, observed)
        self.traces[key] = program
        if self.first is None:
            self.first = program
        return program

    def check(self, args: tuple, value: float, grads: tuple | None, observed: Any = None) -> None:
        """Run fn eagerly on the same arguments and compare (what check=True asks for): the
        value(s), and the grads and observed values when given."""
        self.checks_left -= 1
        program = self.program(args)[0]
        leaves: dict[Value, str] = {}
        eager, seen = self.returned(self.fn(*[_leaves(a, "x", leaves, [], Names()) for a in args]))
        problems = []
        values = value if isinstance(value, tuple) else (value,)
        for a, b in zip(values, eager):
            if not _close(a, b.data):
                problems.append(f"value: compiled {a!r}, eager {b.data!r}")
        if observed is not None:
            for a, b in zip(_flat(observed), _flat(seen)):
                if not _close(a, b.data):
                    problems.append(f"observed: compiled {a!r}, eager {b.data!r}")
                    break
        if grads is not None:
            expected = grad(eager[0], program.params)
            for p, a, b in zip(program.params, grads, expected):
                if not _close(a, b):
                    problems.append(f"d/d{p.label or 'a parameter'}: compiled {a!r}, eager {b!r}")
                    break
        if problems:
            raise CompileCheckError(
                "the compiled function and fn disagree on arguments "
                f"{_short(args)}: {'; '.join(problems)}. Compiled code fixes at trace time every "
                "branch fn took on a Value's .data; branch on ints (static arguments) or run "
                "this function eagerly"
            )


def compile(  # noqa: A001 - engine.compile, as torch.compile; not in engine's __all__
    fn: Callable[..., Value], *example_args, check: bool | int = False
) -> Compiled:
    """Trace `fn(*example_args)` and return it compiled to straight-line Python.

    `fn` takes floats, ints and (nested) lists or tuples of them, and returns a Value built
    from them and from the Values it closes over (its parameters). Floats become inputs of the
    trace; ints are static, so each new int value (or argument structure) traces once more.
    `check=True` (or a number of calls) compares the first calls with eager and raises
    `CompileCheckError` if they differ.
    """
    compiled = Compiled(fn, check)
    compiled.program(tuple(example_args))
    return compiled


class CompiledOutputs(Compiled):
    """A compiled function of several outputs (a model's); see `compile_outputs`."""

    def __init__(
        self, fn: Callable[..., Any], check: bool | int = False, observed: bool = False
    ) -> None:
        super().__init__(fn, check)
        if not isinstance(observed, bool):
            raise TypeError(f"observed must be True or False, not {type(observed).__name__}")
        self.observes = observed

    def returned(self, result) -> tuple[list[Value], Any]:
        """What fn returned, checked: (outputs, observed), the latter None unless observed."""
        if not self.observes:
            return self.outputs(result), None
        if type(result) is not tuple or len(result) != 2:
            raise TypeError(
                "compile_outputs(..., observed=True): fn must return a pair (outputs, observed), "
                f"not {_kind(result)}"
            )
        outputs, observed = result
        return self.outputs(outputs), _observed(observed, "observed")

    def outputs(self, out) -> list[Value]:
        """What fn returned, checked: a Value or a list (or tuple) of Values."""
        if type(out) is Value:
            return [out]
        if isinstance(out, (list, tuple)) and out and all(type(v) is Value for v in out):
            return list(out)
        raise TypeError(
            f"compile_outputs: fn must return a Value or a list of Values, not {_kind(out)}"
        )

    def __call__(self, *args) -> tuple[float, ...]:
        """fn(*args)'s outputs as a tuple of floats; nothing is recorded."""
        return self.forward_batch([args])[0]

    def forward_batch(self, batch: Sequence[tuple]) -> list[tuple[float, ...]]:
        """Each call's outputs, a tuple of floats: vjp's forward pass without its tape or
        anything observed, for when no gradient will be asked for (scoring held-out data).
        The numbers are vjp's to the bit."""
        outputs: list = [None] * len(batch)
        for program, where, calls in self.groups(batch):
            got = program.function("forward_batch")(program.params, calls)
            for i, out in zip(where, got):
                outputs[i] = out
            self.check_first(calls, got, None)
        return outputs

    def value_and_grad(self, *args, **options):
        raise TypeError(
            "value_and_grad needs one output; this function has several: use f.vjp(batch), "
            "or compile a function that returns the loss"
        )

    def value_and_grad_sum(self, batch, gradient=1.0):
        raise TypeError("value_and_grad_sum needs one output; use f.vjp(batch)")

    def vjp(self, batch: Sequence[tuple]) -> tuple[list[tuple[float, ...]], Callable]:
        """The forward pass of each call in `batch`: (outputs, pullback).

        `outputs[i]` is call i's outputs, a tuple of floats. `pullback(grads)`, with
        `grads[i]` the upstream gradient of each of call i's outputs (d loss / d output),
        adds grads[i][k] · d outputs[i][k] / d p into p.grad for every parameter: the backward
        pass, for a loss computed some other way (eagerly, say) from the outputs. Each
        contribution is added to p.grad in turn, the last call's first: the order of one
        backward() over a graph that holds the whole batch, so the grads are that pass's to
        the bit. If any call fails, no grad changes.
        """
        outputs, _, pullback = self._vjp(batch, False)
        return outputs, pullback

    def vjp_observed(self, batch: Sequence[tuple]) -> tuple[list, list, Callable]:
        """`vjp`, whose forward pass also hands out what fn observed: (outputs, observed,
        pullback), `observed[i]` being call i's observed values as floats, nested as fn
        returned them. They come from the same forward lines and get no gradient, so the
        outputs and the pullback are vjp's to the bit. Needs `compile_outputs(...,
        observed=True)`."""
        if not self.observes:
            raise TypeError(
                "vjp_observed needs a function compiled with compile_outputs(fn, ..., "
                "observed=True), which returns (outputs, observed)"
            )
        return self._vjp(batch, True)

    def check_first(self, calls: list[tuple], got: list, seen: list | None) -> None:
        """check=True's first calls, compared with eager: their outputs (and observed values)."""
        if self.checks_left:
            for k, (args, out) in enumerate(zip(calls, got)):
                if self.checks_left:
                    self.check(args, out, None, None if seen is None else seen[k])

    def _vjp(self, batch: Sequence[tuple], observing: bool) -> tuple[list, Any, Callable]:
        outputs: list = [None] * len(batch)
        observed: list | None = [None] * len(batch) if observing else None
        kind = "vjp_forward_observed" if observing else "vjp_forward"
        tapes = []
        for program, where, calls in self.groups(batch):
            got, tape, *seen = program.function(kind)(program.params, calls)
            for i, out in zip(where, got):
                outputs[i] = out
            if observing:
                for i, values in zip(where, seen[0]):
                    observed[i] = values
            tapes.append((program, where, tape))
            self.check_first(calls, got, seen[0] if observing else None)

        def pullback(grads: Sequence[Sequence[float]]) -> None:
            if len(grads) != len(outputs):
                raise ValueError(f"pullback needs {len(outputs)} gradients, got {len(grads)}")
            now: dict[Value, float] = {}  # each parameter's grad so far; written at the end
            for program, where, tape in reversed(tapes):
                start = [now[p] if p in now else p.grad for p in program.params]
                upstream = [grads[i] for i in reversed(where)]
                backward = program.function("vjp_backward")
                now.update(
                    zip(program.params, backward(program.params, tape[::-1], upstream, start))
                )
            for p, g in now.items():
                p.grad = g

        return outputs, observed, pullback


def compile_outputs(
    fn: Callable[..., Any], *example_args, check: bool | int = False, observed: bool = False
) -> CompiledOutputs:
    """`compile` for a function of several outputs, such as a model: `f(*args)` is a tuple of
    floats, and `f.vjp(batch)` runs a batch forward, then backward from the gradients of its
    outputs (a loss in between may be computed any way, eagerly included).

    With `observed=True`, fn returns a pair (outputs, observed): `observed` is a Value, or
    (nested) lists of Values, of the outputs' graph, such as a network's hidden neurons;
    `f.vjp_observed(batch)` hands out their values too, from the same forward pass. They get
    no gradient of their own: the backward pass is the one without them.
    """
    compiled = CompiledOutputs(fn, check, observed)
    compiled.program(tuple(example_args))
    return compiled


def _add_grads(sums: list[tuple[list[Value], tuple]]) -> None:
    for params, grads in sums:
        for p, g in zip(params, grads):
            p.grad += g


def _observed(x, where: str):
    """What fn observed, checked: a Value, or lists (or tuples) of them, nested."""
    if type(x) is Value:
        return x
    if isinstance(x, (list, tuple)):
        return [_observed(v, f"{where}[{i}]") for i, v in enumerate(x)]
    raise TypeError(
        f"compile_outputs: {where} must be a Value or a list of Values, not {type(x).__name__}"
    )


def _flat(x) -> list:
    """The numbers or Values of a nested tuple/list (what fn observed), in order."""
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flat(item)]
    return [x]


def _kind(x) -> str:
    if isinstance(x, (list, tuple)):
        bad = next((v for v in x if type(v) is not Value), None)
        return f"a {type(x).__name__} holding {type(bad).__name__}" if x else "an empty list"
    return type(x).__name__


# ---- arguments: their structure (the trace's key), and Values made from them ----


class _Convert(Exception):
    """An argument is not a plain float, int or list/tuple of them: convert it, then retry."""


def _key(x):
    t = type(x)
    if t is float:
        return _FLOAT
    if t is list or t is tuple:
        if set(map(type, x)) <= {float}:
            return (t, len(x))
        return (t, tuple(map(_key, x)))
    if t is int or t is bool:
        return (t, x)
    raise _Convert


def _convert(x, where: str):
    """`x` as floats, ints and lists (numpy numbers and arrays included), or a TypeError."""
    if type(x) is Value:
        raise TypeError(
            f"compile: {where} is a Value; pass its .data (a float), or let fn close over the "
            "Value to make it a parameter"
        )
    if isinstance(x, (bool, Integral)):
        return x if type(x) is bool else int(x)
    if isinstance(x, Real):
        return float(x)
    if (
        isinstance(x, (list, tuple))
        or (isinstance(x, Sequence) and not isinstance(x, (str, bytes)))
        or hasattr(x, "tolist")
    ):
        items = x.tolist() if hasattr(x, "tolist") else x
        if not isinstance(items, (list, tuple)):  # a numpy scalar's tolist() is a number
            return _convert(items, where)
        kind = tuple if isinstance(x, tuple) else list
        return kind(_convert(v, f"{where}[{i}]") for i, v in enumerate(items))
    raise TypeError(
        f"compile: {where} is {type(x).__name__}; a compiled function takes floats, ints and "
        "lists or tuples of them"
    )


def _leaves(x, name: str, inputs: dict, unpacks: list, names: Names):
    """`x` with every float made a fresh leaf (named in `inputs`); ints stay as they are."""
    if type(x) is float:
        leaf = Value(x, name)
        inputs[leaf] = name
        return leaf
    if type(x) is list or type(x) is tuple:
        parts, targets = [], []
        for i, v in enumerate(x):
            child = names.fresh(f"{name}_{i}", "x") if type(v) in (float, list, tuple) else "_"
            parts.append(_leaves(v, child, inputs, unpacks, names))
            targets.append(child)
        if any(t != "_" for t in targets):
            comma = "," if len(targets) == 1 else ""
            unpacks.append(f"{', '.join(targets)}{comma} = {name}")
        return type(x)(parts)
    return x


def _arg_names(fn, n: int, names: Names) -> list[str]:
    """Identifiers for the generated function's arguments, after fn's own where it has them."""
    try:
        params = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return [names.fresh(params[i] if i < len(params) else "", f"arg{i}") for i in range(n)]


def _eager_only(options: dict) -> None:
    eager = {"create_graph", "no_grad", "retain_graph"} & set(options)
    if eager:
        raise TypeError(
            f"{sorted(eager)[0]} is eager-only: a compiled function computes floats and keeps no "
            "graph; build the graph with fn(*args) and use engine.grad(..., create_graph=True)"
        )
    raise TypeError(f"value_and_grad takes the arguments only, not {sorted(options)}")


def _close(a: float, b: float) -> bool:
    if a == b or (math.isnan(a) and math.isnan(b)):
        return True
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _short(args: tuple) -> str:
    text = repr(args)
    return text if len(text) <= 80 else text[:77] + "..."
