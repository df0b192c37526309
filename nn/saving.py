"""`load`: rebuild a saved model from its JSON file, by the `format` name the file declares.

The formats are a plain table of the Module classes that can be saved, so reading a file can
only ever build one of them (a model file is data, never code). Everything in the file is
checked before anything is built: the JSON itself, each field's type, that every weight is a
finite number, and that the layer sizes make exactly as many parameters as the file holds, so
a small file cannot ask for a model of 10¹⁰ weights. A `Sequential`'s parts are documents of
their own inside its 'modules' list, checked the same way, and checked to fit one another.
"""

from __future__ import annotations

import json
import math
import os
import reprlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nn.checks import check_choice, check_int
from nn.mlp import ACTIVATIONS, MLP
from nn.module import VERSION, Module
from nn.sequential import Sequential
from nn.standardize import Standardize

FORMATS: dict[str, type[Module]] = {cls.format: cls for cls in (MLP, Standardize, Sequential)}
MAX_DEPTH = 8  # Sequentials inside Sequentials: deeper than this is not a model anyone made


def load(path: str | os.PathLike) -> Module:
    """Rebuild a model saved by `Module.save` (an `MLP`, a `Sequential`...) from its file, checked.

    A file that is not a whole, well-formed model file is a ValueError that names it and says
    what is wrong; a missing file is a FileNotFoundError.
    """
    path = os.fspath(path)
    document = _read(path)
    kind, state = _header(path, document)
    config = {k: v for k, v in document.items() if k not in ("format", "version", "state")}
    try:
        size = check_config(kind, config).parameters
        if size != len(state):
            raise ValueError(
                f"its layer sizes make {_count(size)} parameters but its 'state' holds "
                f"{len(state):,}: the file is damaged or was edited by hand"
            )
        weights = _weights(state)
        model = build(kind, config)
        model.load_state_dict(weights)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from None
    return model


@dataclass(frozen=True)
class Shape:
    """What a checked config makes: inputs and outputs per sample (None: any), parameters."""

    nin: int | None
    nout: int | None
    parameters: int


def check_config(kind: str, config: dict[str, Any], depth: int = 0) -> Shape:
    """Check a model's config (its file minus format, version and state), building nothing."""
    return SHAPES[kind](config, depth)


def build(kind: str, config: dict[str, Any]) -> Module:
    """The model a checked config describes; its parts (a config's 'modules') are built first."""
    if "modules" in config:
        parts = [build(part["format"], _part_config(part)) for part in config["modules"]]
        config = {**config, "modules": parts}
    return FORMATS[kind].from_config(config)


def mlp_shape(config: dict[str, Any], depth: int = 0) -> Shape:
    """An MLP's config checked: Σ (fan_in + 1)·fan_out parameters, counted, built of nothing."""
    _fields("an MLP", config, ("nin", "nouts", "activation"))
    nin = check_int("nin", config["nin"], 1)
    nouts = config["nouts"]
    if not isinstance(nouts, list) or not nouts:
        raise ValueError(
            f"nouts must be a list of layer sizes such as [16, 1], not {_short(nouts)}"
        )
    sizes = [nin, *(check_int(f"nouts[{i}]", n, 1) for i, n in enumerate(nouts))]
    check_choice("activation", config["activation"], ACTIVATIONS)
    size = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))
    return Shape(nin, sizes[-1], size)


def standardize_shape(config: dict[str, Any], depth: int = 0) -> Shape:
    """A Standardize's config checked: a finite mean and a scale >= 0 per feature, no parameters."""
    _fields("a Standardize", config, ("mean", "scale"))
    mean = _numbers("mean", config["mean"])
    scale = _numbers("scale", config["scale"])
    if len(mean) != len(scale) or not mean:
        raise ValueError(
            f"mean and scale need one number per feature each; they hold {len(mean)} and "
            f"{len(scale)}"
        )
    negative = next((j for j, s in enumerate(scale) if s < 0.0), None)
    if negative is not None:
        raise ValueError(f"scale[{negative}] is {scale[negative]!r}: a scale (1/std) is >= 0")
    return Shape(len(mean), len(mean), 0)


def sequential_shape(config: dict[str, Any], depth: int = 0) -> Shape:
    """A Sequential's config checked: each part, that each one's outputs fit the next one's
    inputs, and class names that fit the last part's outputs."""
    _fields("a Sequential", config, ("modules", "class_names"))
    parts = config["modules"]
    if not isinstance(parts, list) or not parts:
        raise ValueError(
            f"modules must be a list of parts, each an object with a 'format'; got {_short(parts)}"
        )
    if depth >= MAX_DEPTH:
        raise ValueError(f"Sequentials are nested more than {MAX_DEPTH} deep")
    shapes = []
    for i, part in enumerate(parts):
        try:
            if not isinstance(part, dict) or part.get("format") not in FORMATS:
                what = _short(part.get("format")) if isinstance(part, dict) else _kind(part)
                raise ValueError(
                    f"a part is an object with a known 'format' {sorted(FORMATS)}, not {what}"
                )
            shapes.append(check_config(part["format"], _part_config(part), depth + 1))
        except (TypeError, ValueError) as error:
            raise ValueError(f"modules[{i}]: {error}") from None
    for i, (a, b) in enumerate(zip(shapes, shapes[1:])):
        if None not in (a.nout, b.nin) and a.nout != b.nin:
            raise ValueError(
                f"modules[{i}] gives {a.nout} numbers per sample but modules[{i + 1}] takes {b.nin}"
            )
    _check_class_names(config["class_names"], shapes[-1].nout)
    return Shape(shapes[0].nin, shapes[-1].nout, sum(s.parameters for s in shapes))


# format -> its config checked, and what it makes (inputs, outputs, number of parameters)
SHAPES: dict[str, Callable[[dict[str, Any], int], Shape]] = {
    MLP.format: mlp_shape,
    Standardize.format: standardize_shape,
    Sequential.format: sequential_shape,
}


def _fields(what: str, config: dict[str, Any], fields: tuple[str, ...]) -> None:
    """A ValueError naming the missing and unknown fields, unless `config` has exactly `fields`."""
    if set(config) != set(fields):
        missing = sorted(set(fields) - set(config))
        unknown = sorted(set(config) - set(fields))
        listed = ", ".join(fields[:-1]) + f" and {fields[-1]}"
        raise ValueError(
            f"{what} has the fields {listed}; "
            f"missing {missing or 'none'}, unknown {unknown or 'none'}"
        )


def _part_config(part: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in part.items() if k != "format"}


def _check_class_names(names: Any, n_outputs: int | None) -> None:
    """Class names are distinct strings, one per output (or two for a one-output classifier)."""
    if not isinstance(names, list) or not all(isinstance(c, str) for c in names):
        raise ValueError(f"class_names must be a list of strings, not {_short(names)}")
    if len(set(names)) != len(names):
        raise ValueError(f"class_names must be different from each other: {_short(names)}")
    if names and n_outputs is not None and len(names) != max(n_outputs, 2):
        raise ValueError(
            f"class_names names {len(names)} classes but the model has {n_outputs} output(s)"
        )


def _numbers(name: str, values: Any) -> list[float]:
    """A JSON list of numbers as finite floats; anything else is refused by its index."""
    if not isinstance(values, list):
        raise ValueError(f"{name} must be a list of numbers, not {_kind(values)}")
    return [_number(f"{name}[{j}]", x, "numbers") for j, x in enumerate(values)]


def _number(name: str, x: Any, what: str) -> float:
    """One JSON number as a finite float: NaN, ±Infinity, 1e999 (inf) and true are refused."""
    if type(x) is not float:
        if type(x) is not int:
            raise ValueError(f"{name} is {_kind(x)}: {what} must be numbers")
        try:
            x = float(x)
        except OverflowError:
            raise ValueError(f"{name} is an integer too large for a float") from None
    if not math.isfinite(x):
        raise ValueError(f"{name} is {x!r}: {what} must be finite numbers")
    return x


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
    return {name: _number(f"state[{_short(name)}]", x, "weights") for name, x in state.items()}


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
