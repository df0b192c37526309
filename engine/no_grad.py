"""`no_grad`: compute without recording, for evaluation and for optimizer updates."""

from __future__ import annotations

import contextlib

import engine.value as _value


class no_grad(contextlib.ContextDecorator):
    """Inside, results record no parents: they are leaves, and nothing is kept for backward.

    >>> from engine import Value, no_grad
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.parents
    ()
    """

    def __init__(self) -> None:
        self._outer: list[bool] = []

    def __enter__(self) -> no_grad:
        self._outer.append(_value._recording)
        _value._recording = False
        return self

    def __exit__(self, *exc) -> None:
        _value._recording = self._outer.pop()


def is_grad_enabled() -> bool:
    """True unless inside `no_grad`."""
    return _value._recording
