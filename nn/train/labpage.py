"""The lab's page: `lab_page` renders `lab.html` around a run's data, `write_lab` writes it.

The page is one file (HTML, CSS, script, data; no network): it replays the recorded steps, or,
when a server puts a script at `/*LIVE*/` that sets `window.LAB_LIVE`, follows a run as it
trains. The data is embedded as JSON with every `<` escaped and in ASCII (as engine.player
does), so no label, class or run name can end the script or become markup.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.files import write_atomic

TEMPLATE = Path(__file__).with_name("lab.html")
DATA_MARK = "__LAB__"
LIVE_MARK = "/*LIVE*/"


def lab_page(
    meta: Mapping[str, Any], steps: Sequence[Mapping[str, Any]], live_script: str = ""
) -> str:
    """The lab page's HTML for a run's `meta` and recorded `steps` (see `LabRecorder`).

    `live_script` (a server's) goes where the template says `/*LIVE*/`, before the page
    starts: JavaScript that sets `window.LAB_LIVE` to follow a run live; "" replays `steps`.
    """
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a dict, not {type(meta).__name__}")
    if isinstance(steps, (str, bytes, Mapping)) or not isinstance(steps, Sequence):
        raise TypeError(f"steps must be a list of dicts, not {type(steps).__name__}")
    if not isinstance(live_script, str):
        raise TypeError(f"live_script must be a str, not {type(live_script).__name__}")
    if "</script" in live_script.lower() or "<!--" in live_script:
        raise ValueError(
            "live_script must not contain '</script' or '<!--': it would end the page's script"
        )
    data = embed({"meta": dict(meta), "steps": list(steps)})
    template = TEMPLATE.read_text(encoding="utf-8")
    head, rest = template.split(DATA_MARK, 1)
    middle, tail = rest.split(LIVE_MARK, 1)
    return head + data + middle + live_script + tail


def write_lab(path_or_dir: str | os.PathLike, recorder_or_data: Any) -> Path:
    """Write the lab page of a recorded run, whole; returns its path.

    `path_or_dir`: a file name ending in .html, or a folder, which gets `lab/index.html`.
    `recorder_or_data`: a `LabRecorder` after `fit`, or `{"meta": ..., "steps": [...]}`.
    """
    if not isinstance(path_or_dir, (str, os.PathLike)):
        raise TypeError(
            f"path_or_dir must be a str or os.PathLike, not {type(path_or_dir).__name__}"
        )
    if isinstance(recorder_or_data, Mapping):
        missing = {"meta", "steps"} - set(recorder_or_data)
        if missing:
            raise ValueError(f"the lab's data needs 'meta' and 'steps'; missing {sorted(missing)}")
        meta, steps = recorder_or_data["meta"], recorder_or_data["steps"]
    elif hasattr(recorder_or_data, "meta") and hasattr(recorder_or_data, "steps"):
        meta, steps = recorder_or_data.meta, recorder_or_data.steps
    else:
        raise TypeError(
            "write_lab takes a LabRecorder or a dict {'meta': ..., 'steps': [...]}, "
            f"not {type(recorder_or_data).__name__}"
        )
    if not meta:
        raise ValueError(
            "nothing recorded: pass the LabRecorder to fit(..., callbacks=[...]) first"
        )
    path = Path(path_or_dir)
    if path.suffix.lower() != ".html":
        path = path / "lab" / "index.html"
    page = lab_page(meta, steps)
    made = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return write_atomic(path, page)
    except BaseException:
        if made and not any(path.parent.iterdir()):
            path.parent.rmdir()  # an empty folder would only puzzle
        raise


def embed(data: Any) -> str:
    """`data` as JSON a script can hold: ASCII, every `<` escaped, NaN and inf as null."""
    try:
        text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a NaN or inf somewhere: JSON has none
        text = json.dumps(_finite(data), ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c")


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, Mapping):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x
