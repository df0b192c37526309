"""The code is ruff clean and ruff formatted (configuration in pyproject.toml)."""

import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def ruff(*args: str) -> subprocess.CompletedProcess:
    beside_python = str(pathlib.Path(sys.executable).parent)
    program = shutil.which("ruff", path=beside_python) or shutil.which("ruff")
    assert program, "ruff is a test dependency: pip install -e '.[test]'"
    return subprocess.run([program, *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing():
    result = ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_would_change_nothing():
    result = ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_function_is_too_complex_to_read():
    # C901 (McCabe complexity) is on in pyproject.toml with max-complexity = 12
    result = ruff("check", "--select", "C901", "engine", "nn")
    assert result.returncode == 0, result.stdout + result.stderr
