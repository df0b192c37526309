"""The floors hold: engine never imports nn; nn's library never imports the training loop or
the command line; the training loop never imports the command line. Read from the source."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRY_POINTS = {"nn/__init__.py", "nn/__main__.py"}  # the package's front doors, not a floor


def imports(path: pathlib.Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import statement in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def sources(folder: str) -> list[pathlib.Path]:
    return sorted(
        p for p in (ROOT / folder).rglob("*.py") if str(p.relative_to(ROOT)) not in ENTRY_POINTS
    )


def floor(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).parts
    if parts[0] == "engine":
        return "engine"
    return {"train": "train", "cli": "cli"}.get(parts[1], "library")


FORBIDDEN = {
    "engine": ("nn",),
    "library": ("nn.train", "nn.cli"),
    "train": ("nn.cli",),
    "cli": (),
}


def reaches(module: str, names: list[str], above: str) -> bool:
    if module == above or module.startswith(above + "."):
        return True
    # `from nn import train` reaches nn.train as surely as `import nn.train`
    return any(f"{module}.{name}" == above for name in names)


@pytest.mark.parametrize(
    "path", sources("engine") + sources("nn"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_module_reaches_up_a_floor(path):
    level = floor(path)
    for module, names in imports(path):
        for above in FORBIDDEN[level]:
            assert not reaches(module, names, above), (
                f"{path.relative_to(ROOT)} ({level}) imports {module} {names or ''}: "
                f"a floor never imports {above}"
            )


def test_the_floors_are_folders():
    assert (ROOT / "nn" / "train" / "__init__.py").exists()
    assert (ROOT / "nn" / "cli" / "__init__.py").exists()
    library = {p.name for p in (ROOT / "nn").glob("*.py")}
    assert {"module.py", "mlp.py", "losses.py", "checks.py"} <= library
    assert not library & {"train.py", "cli.py", "callbacks.py", "plots.py", "objective.py"}


@pytest.mark.parametrize(
    "path", sources("engine") + sources("nn"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_names_imported_across_modules_are_public(path):
    for module, names in imports(path):
        if module.split(".")[0] in ("engine", "nn"):
            private = [n for n in names if n.startswith("_")]
            assert not private, f"{path.relative_to(ROOT)} imports {private} from {module}"
