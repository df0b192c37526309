"""`Module`: what every model shares (its parameters, their grads, saving and loading as JSON).

A saved model is a small JSON document, never a pickle: it can be read by a person, diffed, and
loaded without running anyone's code. Floats go through JSON with `repr` precision, so a model
that is saved and loaded predicts exactly what it predicted before.

>>> from nn import MLP, load
>>> model = MLP(2, [4, 1], seed=0)
>>> model.save("model.json")  # doctest: +SKIP
>>> load("model.json")([1.0, 2.0]).data == model([1.0, 2.0]).data  # doctest: +SKIP
True
"""

from __future__ import annotations

import json
import math
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from numbers import Real
from typing import Any

from engine import Value
from engine.files import write_atomic

VERSION = 1


class Module(ABC):
    """Base of models and their parts: subclasses give `__call__`; their parameters are found.

    `parameters()` defaults to the Values and Modules assigned as attributes, as in PyTorch; a
    class may give its own (MLP does, for speed and for its labels).

    To be savable, a subclass also sets a class attribute `format` (e.g. "gradstep.mlp") and
    gives `config()`: the constructor's keyword arguments as JSON-friendly values.
    """

    format: str | None = None

    @abstractmethod
    def __call__(self, x):
        """The forward pass."""

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a fixed order (optimizers and `state_dict` rely on it).

        By default the leaf Values and the Modules among this one's attributes, and in lists and
        tuples of them, in the order they were assigned, each Value once (see `named_parameters`).
        """
        return [p for _, p in self.named_parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(name, parameter) pairs in `parameters()` order; the names are `state_dict`'s keys.

        A class that gives its own `parameters()` (as `MLP` does) names each by its label
        ('L1.N0.w0'); otherwise the name is the attribute path: 'scale', 'mlp.L1.N0.w0', 'w.2'.
        """
        if type(self).parameters is Module.parameters:
            return attribute_parameters(self)
        return [(p.label, p) for p in self.parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0: backward adds into `.grad`, so clear it per step."""
        for p in self.parameters():
            p.grad = 0.0

    # ---- state: name -> float ----

    def state_dict(self) -> dict[str, float]:
        """Each parameter's name (see `named_parameters`) -> its data, in `parameters()` order."""
        named = self.named_parameters()
        state = {name: p.data for name, p in named}
        if len(state) != len(named):
            seen: set[str] = set()
            twice = sorted({name for name, _ in named if name in seen or seen.add(name)})
            raise ValueError(
                f"parameter labels must be unique to make a state dict; repeated: {twice}"
            )
        return state

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        """Set each parameter from `state` (label -> number); on any error nothing is changed."""
        if not isinstance(state, Mapping):
            raise TypeError(
                f"state must be a mapping of label -> float, not {type(state).__name__}"
            )
        named = self.named_parameters()
        params, labels = [p for _, p in named], [name for name, _ in named]
        missing = [name for name in labels if name not in state]
        known = set(labels)  # built once: a set per key made loading quadratic in the size
        unexpected = [name for name in state if name not in known]
        if missing or unexpected:
            raise ValueError(
                f"state does not fit this {type(self).__name__} ({len(labels)} parameters, "
                f"state has {len(state)}): missing {quoted_names(missing)}, "
                f"unexpected {quoted_names(unexpected)}"
            )
        values = [state[name] for name in labels]
        bad = [name for name, x in zip(labels, values) if type(x) is not float and not is_real(x)]
        if bad:
            kinds = sorted({type(state[name]).__name__ for name in bad})
            raise TypeError(f"state values must be real numbers; {quoted_names(bad)} are {kinds}")
        values = [float(x) for x in values]
        for p, x in zip(params, values, strict=True):
            p.data = x

    # ---- files ----

    def config(self) -> dict[str, Any]:
        """The constructor's keyword arguments, as JSON values; needed by `save`."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot be saved: give it a `format` name and a `config()`"
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        """A new instance from `config()`'s output (parameters are set by `load` afterwards)."""
        return cls(**config)

    def save(self, path: str | os.PathLike) -> None:
        """Write this model as JSON to `path`, whole or not at all (temp file + os.replace)."""
        if not self.format:
            self.config()  # raises the NotImplementedError that says what is missing
            raise NotImplementedError(f"{type(self).__name__} has no `format` name; cannot save")
        state = self.state_dict()
        bad = [name for name, x in state.items() if not math.isfinite(x)]
        if bad:
            raise ValueError(
                "cannot save a model with non-finite parameters (JSON has no NaN/inf): "
                + quoted_names(bad)
            )
        document = {"format": self.format, "version": VERSION, **self.config(), "state": state}
        text = json.dumps(document, indent=1, allow_nan=False) + "\n"
        write_atomic(path, text)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


def attribute_parameters(module: Module) -> list[tuple[str, Value]]:
    """The default `named_parameters()`: a walk over attributes, depth first, without recursion.

    Leaf Values only: a computed Value kept as an attribute (a cached output) is not a weight.
    A Module with its own `parameters()` is asked for them; any other is walked in the same loop,
    so a back-reference (a part that holds its parent) is seen once and ends there.
    """
    found: list[tuple[str, Value]] = []
    seen_values: set[Value] = set()  # hashed by identity
    seen = {id(module)}  # the Modules, lists and tuples walked already
    stack = list(reversed(vars(module).items()))
    while stack:
        name, item = stack.pop()
        if type(item) is Value:
            if not item.op and item not in seen_values:
                seen_values.add(item)
                found.append((name, item))
            continue
        if not isinstance(item, (list, tuple, Module)) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (list, tuple)):
            stack += reversed([(f"{name}.{i}", x) for i, x in enumerate(item)])
        elif walks_attributes(item):
            stack += reversed([(f"{name}.{k}", x) for k, x in vars(item).items()])
        else:
            for label, p in item.named_parameters():
                if p not in seen_values:
                    seen_values.add(p)
                    found.append((f"{name}.{label}", p))
    return found


def walks_attributes(module: Module) -> bool:
    """True when `module` lists its parameters by the attribute walk (it overrides neither)."""
    cls = type(module)
    return cls.parameters is Module.parameters and cls.named_parameters is Module.named_parameters


def is_real(x: Any) -> bool:
    """True for a real number that is not a bool (`True` as a weight is a slip)."""
    return isinstance(x, Real) and not isinstance(x, bool)


def quoted_names(items: list[str], limit: int = 8) -> str:
    """At most `limit` names, quoted: `'a', 'b' and 3 more` (or `none`)."""
    if not items:
        return "none"
    shown = ", ".join(repr(n) for n in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
