"""`load`: rebuild a saved model from its JSON file, by the `format` name the file declares.

The formats are a plain table of the Module classes that can be saved, so reading a file can
only ever build one of them (a model file is data, never code). Everything in the file is
checked before anything is built: the JSON itself, each field's type, that every weight is a
finite number, and that the layer sizes make exactly as many parameters as the file holds, so
a small file cannot ask for a model of 10¹⁰ weights.
"""

from __future__ import annotations

import json
import math
import os
import reprlib
from collections.abc import Callable
from typing import Any

from nn.checks import check_choice, check_int
from nn.mlp import ACTIVATIONS, MLP
from nn.module import VERSION, Module

FORMATS: dict[str, type[Module]] = {cls.format: cls for cls in (MLP,)}


def load(path: str | os.PathLike) -> Module:
    """Rebuild a model saved by `Module.save` (e.g. an `MLP`) from its JSON file, checked.

    A file that is not a whole, well-formed model file is a ValueError that names it and says
    what is wrong; a missing file is a FileNotFoundError.
    """
    path = os.fspath(path)
    document = _read(path)
    kind, state = _header(path, document)
    config = {k: v for k, v in document.items() if k not in ("format", "version", "state")}
    try:
        size = SIZES[kind](config)
        if size != len(state):
            raise ValueError(
                f"its layer sizes make {_count(size)} parameters but its 'state' holds "
                f"{len(state):,}: the file is damaged or was edited by hand"
            )
        weights = _weights(state)
        model = FORMATS[kind].from_config(config)
        model.load_state_dict(weights)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from None
    return model


def mlp_size(config: dict[str, Any]) -> int:
    """The number of parameters an MLP's config makes, Σ (fan_in + 1)·fan_out, built of nothing."""
    fields = {"nin", "nouts", "activation"}
    if set(config) != fields:
        missing, unknown = sorted(fields - set(config)), sorted(set(config) - fields)
        raise ValueError(
            f"an MLP file has the fields nin, nouts and activation; "
            f"missing {missing or 'none'}, unknown {unknown or 'none'}"
        )
    nin = check_int("nin", config["nin"], 1)
    nouts = config["nouts"]
    if not isinstance(nouts, list) or not nouts:
        raise ValueError(
            f"nouts must be a list of layer sizes such as [16, 1], not {_short(nouts)}"
        )
    sizes = [nin, *(check_int(f"nouts[{i}]", n, 1) for i, n in enumerate(nouts))]
    check_choice("activation", config["activation"], ACTIVATIONS)
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))


# format -> the number of parameters a file's config makes (checking the config on the way)
SIZES: dict[str, Callable[[dict[str, Any]], int]] = {MLP.format: mlp_size}


def _read(path: str) -> Any:
    """The file's JSON document, or a ValueError that says why there is none."""
    try:
        with open(path, "rb") as file:
            raw = file.read()
    except IsADirectoryError:
        raise ValueError(f"{path} is a directory, not a saved model") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not a saved model: not UTF-8 text (byte {error.start} is "
            f"{raw[error.start : error.start + 1]!r}); a model file is JSON"
        ) from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ValueError(f"{path} is not a saved model: its JSON is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, an integer of over 4300 digits, a key twice
        raise ValueError(f"{path} is not a saved model: invalid JSON ({error})") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; a key given twice is refused (json keeps the last one silently)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ValueError(f"the key {_short(twice)} appears twice in one object")
    return obj


def _header(path: str, document: Any) -> tuple[str, dict]:
    """The file's format name and its state, once the top level is checked."""
    if not isinstance(document, dict) or "format" not in document:
        what = "an object without" if isinstance(document, dict) else _kind(document) + ", no"
        raise ValueError(f"{path} is not a saved model: its JSON is {what} 'format' field")
    kind = document["format"]
    if not isinstance(kind, str) or kind not in FORMATS:
        raise ValueError(f"{path}: unknown format {_short(kind)}; known formats: {sorted(FORMATS)}")
    version = document.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(
            f"{path}: format version {_short(version)} is not supported "
            f"(this gradstep reads version {VERSION})"
        )
    state = document.get("state")
    if not isinstance(state, dict):
        what = f"its 'state' is {_kind(state)}" if "state" in document else "there is none"
        raise ValueError(f"{path}: no 'state' object with the parameters ({what})")
    return kind, state


def _weights(state: dict[str, Any]) -> dict[str, float]:
    """Each weight as a finite float: NaN, ±Infinity, 1e999 (inf) and true are refused by name."""
    weights = {}
    for name, x in state.items():
        if type(x) is not float:
            if type(x) is not int:
                raise ValueError(f"state[{_short(name)}] is {_kind(x)}: weights must be numbers")
            try:
                x = float(x)
            except OverflowError:
                raise ValueError(
                    f"state[{_short(name)}] is an integer too large for a float"
                ) from None
        if not math.isfinite(x):
            raise ValueError(f"state[{_short(name)}] is {x!r}: weights must be finite numbers")
        weights[name] = x
    return weights


def _kind(x: Any) -> str:
    """What a JSON value is, in words: 'a list', 'a string', 'null'."""
    if x is None:
        return "null"
    names = {bool: "a boolean", str: "a string", list: "a list", dict: "an object"}
    return names.get(type(x), "a number")


def _short(x: Any) -> str:
    """`x` as repr, cut short: a file's contents are echoed in messages, never in full."""
    return reprlib.repr(x)


def _count(n: int) -> str:
    return f"{n:,}" if n < 10**18 else "more than 10^18"
