"""Packaging a user can trust: the licence, the extras, engine.testing's hint, and ./dev's set-up
saying what it does (run against stand-in tools, so nothing is installed)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def extra(name: str) -> list[str]:
    return PYPROJECT["project"]["optional-dependencies"][name]


def test_the_licence_is_a_file_and_the_metadata_uses_its_spdx_form():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the gradstep authors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]


def test_the_build_needs_a_setuptools_that_reads_the_spdx_licence():
    (requirement,) = [r for r in PYPROJECT["build-system"]["requires"] if "setuptools" in r]
    minimum = re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", requirement)
    assert minimum and int(minimum.group(1)) >= 77, requirement


def test_the_testing_extra_carries_hypothesis_and_the_notebooks_extra_jupyter():
    assert any(re.fullmatch(r"hypothesis>=6\.\d+", r) for r in extra("testing"))
    jupyter = [r for r in extra("notebooks") if r.split(">=")[0] in ("jupyterlab", "notebook")]
    assert jupyter and all(">=" in r for r in jupyter)


def test_engine_testing_without_hypothesis_says_which_extra_to_install():
    blocked = "import sys; sys.modules['hypothesis'] = None; "  # as if it were not installed
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", blocked + "import engine.testing"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode != 0
    assert "ModuleNotFoundError: engine.testing needs Hypothesis" in run.stderr
    assert "pip install 'gradstep[testing]'" in run.stderr
    ok = subprocess.run([sys.executable, "-c", blocked + "import engine, nn"], env=env)
    assert ok.returncode == 0, "engine and nn themselves never need Hypothesis"


def test_the_readme_says_its_pictures_need_the_repository():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    relative = re.findall(r"\]\((?!https?://)([^)#]+)\)", text)
    assert relative, "the README links its figures and notebooks by relative path"
    missing = [link for link in relative if not (ROOT / link).exists()]
    assert not missing, missing
    assert re.search(r"relative links.*docs/.*PyPI", text, re.S), "say where they will not show"


# ---- ./dev, run against stand-ins for python3, dot and the tools in .venv ----

TOOL = '#!/bin/sh\necho "NAME $*" >> "$DEV_LOG"\n'
PYTHON3 = """#!/bin/sh
# a stand-in for python3: `python3 -m venv DIR` makes DIR/bin/{python,gradstep,jupyter}, each of
# which only writes its name and arguments to $DEV_LOG
[ "$1 $2" = "-m venv" ] || exit 1
mkdir -p "$3/bin"
for tool in python gradstep jupyter; do
    sed "s/NAME/$tool/" "$TOOL_TEMPLATE" > "$3/bin/$tool"
    chmod +x "$3/bin/$tool"
done
"""


@pytest.fixture
def dev(tmp_path):
    """Run a copy of ./dev in an empty project folder; returns (run, log path, project)."""
    project, tools = tmp_path / "project", tmp_path / "tools"
    project.mkdir()
    tools.mkdir()
    shutil.copy(ROOT / "dev", project / "dev")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    (tools / "template").write_text(TOOL)
    for name, text in (("python3", PYTHON3), ("dot", "#!/bin/sh\n"), ("chromium", "#!/bin/sh\n")):
        (tools / name).write_text(text)
        (tools / name).chmod(0o755)
    log = tmp_path / "log"
    env = {
        "PATH": f"{tools}:/usr/bin:/bin",
        "DEV_LOG": str(log),
        "TOOL_TEMPLATE": str(tools / "template"),
        "HOME": str(tmp_path),
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["sh", str(project / "dev"), *args], capture_output=True, text=True, env=env
        )

    return run, log, project


def test_dev_is_valid_sh_and_its_usage_lists_every_command():
    assert subprocess.run(["sh", "-n", str(ROOT / "dev")]).returncode == 0
    run = subprocess.run(["sh", str(ROOT / "dev")], capture_output=True, text=True)
    assert run.returncode == 2
    for command in ("train", "test", "notebooks", "bench"):
        assert f"./dev {command}" in run.stderr
    header = (ROOT / "dev").read_text().split("set -eu")[0]
    assert "./dev notebooks" in header


def test_the_first_set_up_says_what_it_does_and_lets_pip_show_progress(dev):
    run, log, project = dev
    first = run("train", "--steps", "1")
    assert first.returncode == 0, first.stderr
    lines = first.stderr.splitlines()
    assert any("creating .venv" in line and "a minute or two" in line for line in lines), lines
    calls = log.read_text().splitlines()
    assert calls[0].startswith("python -m pip install ") and calls[0].endswith("-e .[test]")
    assert " -q " not in calls[0], "the first install shows pip's progress"
    assert calls[1] == "gradstep train --steps 1"

    again = run("train")
    assert again.stderr == "" and log.read_text().splitlines()[2:] == ["gradstep train"]

    later = os.stat(project / ".venv" / ".installed").st_mtime + 10
    os.utime(project / "pyproject.toml", (later, later))
    changed = run("train")
    assert "pyproject.toml changed" in changed.stderr
    assert log.read_text().splitlines()[3].startswith("python -m pip install -q ")


def test_dev_notebooks_installs_the_extra_once_and_opens_the_lessons_on_localhost(dev):
    run, log, _ = dev
    first = run("notebooks", "--no-browser")
    assert first.returncode == 0, first.stderr
    assert "installing JupyterLab" in first.stderr
    assert "http://127.0.0.1:8888/lab" in first.stderr
    calls = log.read_text().splitlines()
    assert calls[1].startswith("python -m pip install ") and calls[1].endswith("-e .[notebooks]")
    root = " --allow-root" if os.getuid() == 0 else ""  # Jupyter refuses root unless told
    assert calls[2] == f"jupyter lab notebooks/ --ip=127.0.0.1{root} --no-browser"
    run("notebooks")
    assert log.read_text().splitlines()[3:] == [f"jupyter lab notebooks/ --ip=127.0.0.1{root}"]
