"""The folder a `gradstep train` run writes into, claimed before training so that one run owns it.

Claiming is atomic: a new folder is made with os.mkdir (of two runs, exactly one creates it),
and a lock file made with O_CREAT | O_EXCL marks the folder as taken until the run ends, so a
second run started at once into the same --out (empty, or with --force) refuses instead of
writing over the first. Making the lock file is also the honest test that the folder can be
written (permission bits say nothing when running as root).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

LOCK = ".gradstep.lock"


@dataclass
class Claim:
    """A claimed output folder: its path and the lock file in it that says it is taken."""

    path: str
    lock: str

    def release(self) -> None:
        """The run is over: remove the lock file, keep the folder and what the run wrote."""
        try:
            os.unlink(self.lock)
        except FileNotFoundError:
            pass


def claim_folder(out: str | None, dataset: str, force: bool = False) -> Claim:
    """Claim the run's folder: `out`, or a new runs/<dataset>-<time> when `out` is None.

    An existing folder is used only if it is empty, or with `force`, and never while another
    run holds it. Raises ValueError saying what is wrong; it then leaves nothing behind.
    """
    if out is None:
        return _claim_new_run_folder(dataset)
    if not out.strip():
        raise ValueError("--out is empty: give the folder to write the run into, e.g. --out runs/x")
    if os.path.lexists(out) and not os.path.isdir(out):
        raise ValueError(f"--out {out} exists and is not a folder")
    created = []
    if os.path.isdir(out):
        _check_free(out, force)
    else:
        created = _make_folder(out, f"--out {out}")
    return _lock(out, created)


def _check_free(out: str, force: bool) -> None:
    """ValueError unless the existing folder `out` may be written: empty or forced, not locked."""
    try:
        entries = os.listdir(out)
    except OSError as error:
        raise ValueError(f"cannot read --out {out}: {error.strerror}") from None
    if LOCK in entries:
        raise ValueError(_taken(out))
    if entries and not force:
        raise ValueError(
            f"output folder {out} exists and is not empty; choose another "
            "--out, or pass --force to replace the files in it"
        )


def _make_folder(path: str, name: str) -> list[str]:
    """Make `path` and its missing parents; return the folders made, outermost first.

    The last one is made with os.mkdir, which fails if another run made it first. On any
    error the folders made so far are removed and ValueError says what went wrong.
    """
    missing = []
    folder = os.path.abspath(path)
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = os.path.dirname(folder)
    if not missing:
        raise ValueError(_taken(path))
    if not os.path.isdir(folder):
        raise ValueError(f"cannot create {name}: {folder} is a file, not a folder")
    created: list[str] = []
    try:
        for folder in reversed(missing[1:]):
            try:
                os.mkdir(folder)
                created.append(folder)
            except FileExistsError:
                pass  # a parent another run made at the same moment is not ours to remove
        os.mkdir(missing[0])
        created.append(missing[0])
    except FileExistsError:
        _remove_empty(created)
        raise ValueError(_taken(path)) from None
    except OSError as error:
        _remove_empty(created)
        raise ValueError(
            f"cannot create {name}: {error.strerror}; choose a folder you can write to"
        ) from None
    return created


def _lock(out: str, created: list[str]) -> Claim:
    """Make the lock file in `out` (O_EXCL: only one run can); if it cannot, remove the folders
    this claim `created` and raise ValueError."""
    lock = os.path.join(out, LOCK)
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        _remove_empty(created)
        raise ValueError(_taken(out)) from None
    except OSError as error:
        _remove_empty(created)
        raise ValueError(
            f"cannot write into --out {out}: {error.strerror}; choose a folder you can write to"
        ) from None
    with os.fdopen(fd, "w") as file:
        file.write(f"{os.getpid()}\n")
    return Claim(out, lock)


def _claim_new_run_folder(dataset: str) -> Claim:
    """A new folder runs/<dataset>-<time>, -2, -3, ... if two runs start in the same second."""
    base = os.path.join("runs", f"{dataset}-{time.strftime('%Y%m%d-%H%M%S')}")
    for k in range(1, 1000):
        out = base if k == 1 else f"{base}-{k}"
        try:
            return _lock(out, _make_folder(out, f"the run folder {out}"))
        except ValueError:
            if not os.path.lexists(out):
                raise  # not taken by another run: runs/ itself cannot be written
    raise ValueError(f"could not find a free folder name like {base}")


def _taken(out: str) -> str:
    return (
        f"output folder {out} is being written by another gradstep run; choose another --out "
        f"(if no run is writing there, delete {os.path.join(out, LOCK)})"
    )


def _remove_empty(folders: list[str]) -> None:
    """Remove the folders a claim made, innermost first, stopping at one that is not empty."""
    for folder in reversed(folders):
        try:
            os.rmdir(folder)
        except OSError:
            return
