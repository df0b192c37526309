"""Build the lesson notebooks from `lessons/*.py` and execute them: every output comes from a run.

    .venv/bin/python notebooks/build.py            # all lessons
    .venv/bin/python notebooks/build.py 03 05      # the lessons whose names start with 03 or 05

A lesson is a Python file in the "percent" format: `# %%` starts a code cell, `# %% [markdown]`
a markdown cell whose lines are comments. Reviewing a lesson is reading a plain diff; the
`.ipynb` next to this script is what a code-hosting site shows, written only by running it
in a fresh kernel (cwd: this folder). Timestamps are left out so a re-run changes little.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LESSONS = HERE / "lessons"
KERNEL = "python3"
CELL_TIMEOUT = 300  # seconds; a lesson as a whole is meant to take well under a minute
# An object's default repr names its memory address, new on every run ('<... at 0x7f26...>').
ADDRESS = re.compile(r"^(<[\w.]+(?: object)?) at 0x[0-9a-f]+>$")


def lesson_paths() -> list[Path]:
    return sorted(LESSONS.glob("[0-9][0-9]_*.py"))


def notebook_path(lesson: Path) -> Path:
    return HERE / f"{lesson.stem}.ipynb"


def cells(text: str) -> list[tuple[str, str]]:
    """(kind, source) per cell of a percent-format file; kind is 'code' or 'markdown'."""
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("# %%"):
            kind = "markdown" if "[markdown]" in line else "code"
            found.append((kind, []))
        elif not found:
            if line.strip():
                raise ValueError(f"text before the first '# %%' cell marker: {line!r}")
        elif found[-1][0] == "markdown":
            if line.strip() and not line.startswith("#"):
                raise ValueError(f"a markdown cell line must be a comment: {line!r}")
            found[-1][1].append(line[2:] if line.startswith("# ") else line.lstrip("#"))
        else:
            found[-1][1].append(line)
    return [(kind, "\n".join(lines).strip("\n")) for kind, lines in found]


def build(lesson: Path):
    """The unexecuted notebook of a lesson."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    for kind, source in cells(lesson.read_text(encoding="utf-8")):
        new = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(new(source))
    for i, cell in enumerate(nb.cells):  # stable ids, so a re-run does not churn them
        cell["id"] = f"{lesson.stem[:2]}-{i:03d}"
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def execute(nb, timeout: int = CELL_TIMEOUT):
    """Run `nb` top to bottom in a fresh kernel started from this interpreter; raises
    nbclient's CellExecutionError at the first cell that fails."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL,
                            resources={"metadata": {"path": str(HERE)}})
    client.execute()
    return nb


def clean(nb):
    """Drop what changes on every run without saying anything: timestamps, kernel versions,
    memory addresses in the plain-text fallback of a picture (e.g. of draw_dot's Digraph)."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merged_streams(cell.outputs)
            for out in cell.outputs:
                text = out.get("data", {}).get("text/plain")
                if isinstance(text, str) and ADDRESS.match(text):
                    out.data["text/plain"] = ADDRESS.sub(r"\1>", text)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def merged_streams(outputs: list) -> list:
    """Consecutive prints to one stream as one output (the kernel flushes in arbitrary chunks)."""
    merged: list = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (out.output_type == "stream" and last is not None and last.output_type == "stream"
                and last.name == out.name):
            last.text += out.text
        else:
            merged.append(out)
    return merged


def write(nb, path: Path) -> None:
    """Write the notebook whole or not at all (temp file in the same folder, then rename)."""
    import nbformat

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a notebook is for everyone
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            nbformat.write(nb, out)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv: list[str]) -> int:
    import nbformat

    chosen = [p for p in lesson_paths() if not argv or any(p.name.startswith(a) for a in argv)]
    if not chosen:
        print(f"no lesson matches {argv}; lessons: {[p.name for p in lesson_paths()]}")
        return 2
    for lesson in chosen:
        start = time.perf_counter()
        nb = clean(execute(build(lesson)))
        nbformat.validate(nb)
        write(nb, notebook_path(lesson))
        print(f"{notebook_path(lesson).name}: executed in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
