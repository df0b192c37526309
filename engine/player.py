"""`write_player`: an `index.html` that plays a sequence of frames offline, for every frame set.

`render_backward` writes one for the steps of a backward pass, `gradstep train --render-every`
one for the pictures of a run. The page fits the frame to the window and zooms and pans
(wheel or +/−, drag, 0 to fit); the zoom is kept while stepping, since frames share a layout.
The frames, their lines and the legend are embedded as JSON data (a `file://` page cannot
fetch), with every `<` escaped so that no data can end the script.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from engine.files import write_atomic

TEMPLATE = Path(__file__).with_name("player.html")
# (swatch colour, what it means): the colours `engine.viz.render_backward` uses.
BACKWARD_LEGEND = (
    ("#ffc94d", "node being processed"),
    ("#9be59b", "gradient just written"),
    ("#ffffff", "grey grad: still accumulating"),
    ("#dcecfb", "leaf"),
    ("#e6dcf5", "parameter"),
    ("#fbe3cf", "output"),
)


Focus = tuple[float, float] | None  # where in a frame to look: fractions of its width, height


def player_page(
    title: str,
    frames: Sequence[str],
    lines: Sequence[str],
    legend: Sequence[tuple[str, str]] = BACKWARD_LEGEND,
    interval: int = 900,
    focus: Sequence[Focus] | None = None,
) -> str:
    """The player's HTML: `frames` (file names next to the page) with one line of text each.

    `focus` says, per frame, where the action is: a frame too big to fit the window legibly
    is shown around that point until the user zooms or pans.
    """
    frames, lines = list(frames), list(lines)
    focus = list(focus) if focus is not None else [None] * len(frames)
    if not all(isinstance(x, str) for x in (title, *frames, *lines)):
        raise TypeError("title, frames and lines must be strings")
    if not len(frames) == len(lines) == len(focus):
        raise ValueError(
            f"one line (and focus) per frame: got {len(frames)} frames, {len(lines)} lines "
            f"and {len(focus)} focus points"
        )
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        raise ValueError(f"interval must be a positive int (milliseconds), not {interval!r}")
    data = {
        "title": title,
        "frames": frames,
        "lines": lines,
        "legend": [[str(colour), str(text)] for colour, text in legend],
        "interval": interval,
        "focus": [None if f is None else [float(f[0]), float(f[1])] for f in focus],
    }
    # Data, never markup: with every `<` escaped, no label can end the script or open a comment
    # (`<!--<script>` would swallow the page); ASCII also escapes U+2028 and lone surrogates.
    embedded = json.dumps(data, ensure_ascii=True).replace("<", "\\u003c")
    return TEMPLATE.read_text(encoding="utf-8").replace("__DATA__", embedded)


def write_player(
    directory: str | os.PathLike,
    frames: Sequence[str],
    lines: Sequence[str],
    title: str,
    legend: Sequence[tuple[str, str]] = BACKWARD_LEGEND,
    interval: int = 900,
    focus: Sequence[Focus] | None = None,
) -> Path:
    """Write `directory/index.html`, the player of `frames` (names of files in `directory`).

    Written whole or not at all; returns its path.
    """
    page = player_page(title, frames, lines, legend, interval, focus)
    return write_atomic(Path(directory) / "index.html", page)


def svg_focus(svg: bytes, node: str) -> Focus:
    """Where Graphviz drew the node with id `node` in an SVG picture, as fractions of its
    width and height (None if it is not there): the point a player frame centres on."""
    svg_ns = "{http://www.w3.org/2000/svg}"
    try:
        root = ET.fromstring(svg)
        _, _, width, height = (float(v) for v in root.get("viewBox", "").split())
        graph = next(g for g in root.iter(svg_ns + "g") if g.get("class") == "graph")
        tx, ty = (float(v) for v in graph.get("transform").split("translate(")[1][:-1].split())
    except (ET.ParseError, ValueError, StopIteration, AttributeError, IndexError):
        return None
    for g in graph.iter(svg_ns + "g"):
        title = g.find(svg_ns + "title")
        if g.get("class") == "node" and title is not None and title.text == node:
            xs, ys = [], []
            for shape in g.iter(svg_ns + "polygon"):
                for point in shape.get("points", "").split():
                    x, y = point.split(",")
                    xs.append(float(x))
                    ys.append(float(y))
            for text in g.iter(svg_ns + "text"):
                xs.append(float(text.get("x")))
                ys.append(float(text.get("y")))
            if not xs:
                return None
            x, y = (min(xs) + max(xs)) / 2 + tx, (min(ys) + max(ys)) / 2 + ty
            return (x / width, y / height) if width and height else None
    return None
