"""engine.files.write_atomic: a file is written whole or not at all, with the usual permissions."""

import os
import stat

import pytest

from engine.files import write_atomic


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_bytes_are_written_and_the_path_returned(tmp_path):
    target = tmp_path / "frame.svg"
    written = write_atomic(target, b"<svg/>")
    assert written == target
    assert target.read_bytes() == b"<svg/>"
    assert sorted(os.listdir(tmp_path)) == ["frame.svg"]


def test_str_is_written_as_utf8(tmp_path):
    target = tmp_path / "notes.txt"
    write_atomic(str(target), "∂L/∂a = −3.0 ✓\n")
    assert target.read_bytes() == "∂L/∂a = −3.0 ✓\n".encode()


def test_an_existing_file_is_replaced_whole(tmp_path):
    target = tmp_path / "model.json"
    target.write_text("x" * 10_000)
    write_atomic(target, "{}\n")
    assert target.read_text() == "{}\n"


def test_data_of_a_wrong_type_leaves_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "model.json"
    target.write_text("old")
    with pytest.raises(TypeError, match="data must be bytes or str, not list"):
        write_atomic(target, [1, 2, 3])
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_failed_rename_removes_the_temp_file(tmp_path):
    # The temp file is written in full, then os.replace cannot put a file over a directory.
    target = tmp_path / "taken"
    target.mkdir()
    (target / "inside.txt").write_text("kept")
    with pytest.raises(OSError):
        write_atomic(target, b"data" * 1000)
    assert os.listdir(tmp_path) == ["taken"]
    assert os.listdir(target) == ["inside.txt"]
    assert (target / "inside.txt").read_text() == "kept"


def test_a_missing_folder_is_named(tmp_path):
    target = tmp_path / "no" / "such" / "file.txt"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_atomic(target, "x")
    assert os.listdir(tmp_path) == []


def test_a_path_of_a_wrong_type_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, not int"):
        write_atomic(3, b"x")


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_permissions_follow_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        written = write_atomic(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    assert _mode(written) == 0o666 & ~mask


def test_module_save_and_render_backward_files_are_not_private(tmp_path):
    # Both used to leave mkstemp's 0o600 behind.
    from engine import Value
    from engine.viz import render_backward
    from nn import MLP

    old = os.umask(0o022)
    try:
        MLP(2, [1], seed=0).save(tmp_path / "model.json")
        a, b = Value(2.0, label="a"), Value(-3.0, label="b")
        paths = render_backward(a * b, tmp_path / "frames")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "model.json") == 0o644
    assert paths and all(_mode(p) == 0o644 for p in paths)


@pytest.mark.parametrize(
    "mode, mask", [(0o600, 0o022), (0o644, 0o077), (0o640, 0o002)], ids=["600", "644", "640"]
)
def test_a_replaced_file_keeps_its_permissions(tmp_path, mode, mask):
    # A private file must not become world-readable when rewritten, nor a shared one private.
    target = tmp_path / "model.json"
    target.write_text("old")
    os.chmod(target, mode)
    old = os.umask(mask)
    try:
        write_atomic(target, "new")
    finally:
        os.umask(old)
    assert target.read_text() == "new"
    assert _mode(target) == mode


@pytest.mark.parametrize("mode", [0o600, 0o644], ids=["600", "644"])
def test_module_save_over_an_existing_model_keeps_its_permissions(tmp_path, mode):
    from nn import MLP, load

    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=0).save(path)
    os.chmod(path, mode)
    second = MLP(2, [3, 1], seed=1)
    old = os.umask(0o077 if mode == 0o644 else 0o022)  # a umask that would give the other mode
    try:
        second.save(path)
    finally:
        os.umask(old)
    assert _mode(path) == mode
    assert load(path).state_dict() == second.state_dict()
    assert os.listdir(tmp_path) == ["model.json"]
