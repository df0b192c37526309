"""`no_grad`: compute without recording, for evaluation and for optimizer updates.

Grad mode belongs to a thread, as in PyTorch: `no_grad` in one thread never changes whether
another records, and a new thread starts with recording on.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading

from engine.value import grad_mode, set_recording


class _Saved(threading.local):
    """Per thread, the modes to put back as each open `with` block of one `no_grad` ends."""

    def __init__(self) -> None:
        self.modes: list[bool] = []


class no_grad(contextlib.ContextDecorator):
    """Inside, results record no parents: they are leaves, and nothing is kept for backward.

    Only the calling thread stops recording. As a decorator of a generator function it covers
    the generator's body: each resume runs under it, and the caller in between does not.

    >>> from engine import Value, no_grad
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.parents
    ()
    """

    def __init__(self) -> None:
        self._saved = _Saved()

    def __enter__(self) -> no_grad:
        self._saved.modes.append(set_recording(False))
        return self

    def __exit__(self, *exc) -> None:
        set_recording(self._saved.modes.pop())

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            return _generator_under(self, func)
        return super().__call__(func)


def _generator_under(context, func):
    """`func`, a generator function, with each step of its body run inside `context`."""

    @functools.wraps(func)
    def generator(*args, **kwargs):
        inner = func(*args, **kwargs)
        try:
            with context:
                sent = inner.send(None)
            while True:
                try:
                    received = yield sent
                except GeneratorExit:
                    with context:
                        inner.close()
                    raise
                except BaseException as error:
                    with context:
                        sent = inner.throw(error)
                else:
                    with context:
                        sent = inner.send(received)
        except StopIteration as stop:
            return stop.value

    return generator


def is_grad_enabled() -> bool:
    """True unless the calling thread is inside `no_grad`."""
    return grad_mode.recording
