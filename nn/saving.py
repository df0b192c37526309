"""`load`: rebuild a saved model from its JSON file, by the `format` name the file declares.

The formats are a plain table of the Module classes that can be saved, so reading a file can
only ever build one of them (a model file is data, never code).
"""

from __future__ import annotations

import json
import os

from nn.mlp import MLP
from nn.module import VERSION, Module

FORMATS: dict[str, type[Module]] = {cls.format: cls for cls in (MLP,)}


def load(path: str | os.PathLike) -> Module:
    """Rebuild a model saved by `Module.save` (e.g. an `MLP`) from its JSON file."""
    path = os.fspath(path)
    with open(path, encoding="utf-8") as file:
        try:
            document = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not a saved model: invalid JSON ({error})") from None
    if not isinstance(document, dict) or "format" not in document:
        raise ValueError(f"{path} is not a saved model: no 'format' field")
    kind = document["format"]
    if kind not in FORMATS:
        raise ValueError(f"{path}: unknown format {kind!r}; known formats: {sorted(FORMATS)}")
    if document.get("version") != VERSION:
        raise ValueError(
            f"{path}: format version {document.get('version')!r} is not supported "
            f"(this gradstep reads version {VERSION})"
        )
    if not isinstance(document.get("state"), dict):
        raise ValueError(f"{path}: no 'state' object with the parameters")
    config = {k: v for k, v in document.items() if k not in ("format", "version", "state")}
    try:
        model = FORMATS[kind].from_config(config)
        model.load_state_dict(document["state"])
    except (TypeError, ValueError) as error:
        raise type(error)(f"{path}: {error}") from None
    return model
