"""`write_atomic`: a file is written whole or not at all, so a crash or bad data loses nothing.

>>> from engine.files import write_atomic
>>> write_atomic("notes.txt", "grad = 2.0\\n")  # doctest: +SKIP
PosixPath('notes.txt')
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write `data` to `path` whole or not at all (a str as UTF-8); returns `path` as a Path.

    The data goes to a temp file in the same folder, is flushed to disk and renamed over `path`
    (os.replace is atomic), so readers see the old file or the new one, never half of one. On
    any error the temp file is removed and the error raised. A file that is replaced keeps its
    permissions (a private 0o600 model stays private); a new file gets the usual ones (0o666
    minus the umask), never the 0o600 of a temp file.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes or str, not {type(data).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}")
    path = Path(path)
    folder = path.absolute().parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    mode = _mode_for(path)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    return path


def _mode_for(path: Path) -> int:
    """The permissions of the file at `path` if there is one, else 0o666 minus the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)  # elsewhere the only way to read it is to set it, then set it back
    os.umask(mask)
    return mask
