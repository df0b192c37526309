"""nn.train.plots writes real PNGs and leaves the caller's matplotlib backend alone."""

import matplotlib

from nn import MLP, fit
from nn.data import make_moons
from nn.train import plots


def test_plots_write_pngs_without_switching_the_backend(tmp_path):
    before = matplotlib.get_backend()
    matplotlib.use("svg")  # stands for a notebook's inline backend: anything but Agg
    try:
        check_plots(tmp_path)
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)


def check_plots(tmp_path):
    X, y = make_moons(20, seed=0)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, y, steps=3, progress=False)
    written = [
        plots.loss_curves(history, tmp_path / "loss.png"),
        plots.decision_boundary(model, X, y, tmp_path / "boundary.png", resolution=20),
    ]
    for path in written:
        with open(path, "rb") as file:
            assert file.read(8) == b"\x89PNG\r\n\x1a\n"
