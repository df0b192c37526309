"""The README's REPL sessions run exactly as printed."""

import doctest
import pathlib

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_readme_sessions_run_as_printed():
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0


def test_readme_names_the_two_commands_that_ci_runs():
    text = README.read_text()
    assert "./dev train" in text and "./dev test" in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert "./dev test" in ci
