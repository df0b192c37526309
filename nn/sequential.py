"""`Sequential`: modules run one after another, saved and loaded as one model, as in PyTorch.

A model that carries its preprocessing is one of these: `Sequential(Standardize.fit(X), MLP(...))`
takes raw rows. Its parameters are its parts' parameters, named by position ('1.L1.N0.w0', as
PyTorch's '1.weight'); `class_names` (optional) names the classes its outputs stand for.

>>> from nn import MLP, Sequential, Standardize
>>> model = Sequential(Standardize([5.0, 3.0], [0.5, 2.0]), MLP(2, [4, 3], seed=0),
...                    class_names=["cat", "dog", "fox"])
>>> len(model.parameters()), model.named_parameters()[0][0], model.class_names
(27, '1.L1.N0.w0', ('cat', 'dog', 'fox'))
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from engine import Value
from nn.checks import check_str
from nn.module import Module


class Sequential(Module):
    """Calls each module on the previous one's output; `model[i]` is the i-th part."""

    format = "gradstep.sequential"

    def __init__(self, *modules: Module, class_names: Sequence[str] = ()) -> None:
        if not modules:
            raise ValueError("Sequential needs at least one module, e.g. Sequential(MLP(...))")
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(
                    f"Sequential's parts must be Modules; part {i} is {type(m).__name__}"
                )
        self.modules = tuple(modules)
        if isinstance(class_names, (str, bytes)) or not isinstance(class_names, Sequence):
            raise TypeError(f"class_names must be a list of str, not {type(class_names).__name__}")
        names = tuple(check_str(f"class_names[{i}]", c) for i, c in enumerate(class_names))
        if len(set(names)) != len(names):
            raise ValueError(f"class_names must be different from each other, got {list(names)}")
        self.class_names = names

    def __call__(self, x):
        for module in self.modules:
            x = module(x)
        return x

    def __len__(self) -> int:
        return len(self.modules)

    def __getitem__(self, i: int) -> Module:
        return self.modules[i]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)

    @property
    def nin(self) -> int | None:
        """How many inputs the first part takes (None if it does not say)."""
        return getattr(self.modules[0], "nin", None)

    def parameters(self) -> list[Value]:
        return [p for m in self.modules for p in m.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"{i}.{name}", p)
            for i, m in enumerate(self.modules)
            for name, p in m.named_parameters()
        ]

    def config(self) -> dict[str, Any]:
        parts = []
        for i, m in enumerate(self.modules):
            if not m.format:
                raise NotImplementedError(
                    f"part {i} of this Sequential, a {type(m).__name__}, cannot be saved: "
                    "give it a `format` name and a `config()`"
                )
            parts.append({"format": m.format, **m.config()})
        return {"modules": parts, "class_names": list(self.class_names)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        """A Sequential from `config()`'s fields with its 'modules' already built (`nn.load`
        builds each part from its document first)."""
        return cls(*config["modules"], class_names=config.get("class_names", ()))

    def __repr__(self) -> str:
        parts = ", ".join(repr(m) for m in self.modules)
        names = f", class_names={list(self.class_names)!r}" if self.class_names else ""
        return f"Sequential({parts}{names})"
