"""nn.train.plots writes real PNGs and leaves the caller's matplotlib backend alone."""

import matplotlib
import matplotlib.colors
import matplotlib.image

from engine import Value
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


class TwoSides:
    """A 3-class model that predicts class 0 left of x = 0 and class 2 right of it, never 1."""

    def __call__(self, x):
        left = x[0] < 0
        return [Value(1.0 if left else 0.0), Value(0.0), Value(0.0 if left else 1.0)]


def pixels_near(path, rgb, tolerance=0.04):
    image = matplotlib.image.imread(path)
    close = (abs(image[..., :3] - rgb) <= tolerance).all(axis=-1)
    return int(close.sum())


def blended(hex_colour, alpha=0.3):
    """A colour as drawn at `alpha` over white."""
    rgb = matplotlib.colors.to_rgb(hex_colour)
    return [alpha * c + (1 - alpha) for c in rgb]


def test_where_class_0_meets_class_2_no_band_of_class_1_is_drawn(tmp_path):
    # A contour over class indices passes through 1 between 0 and 2: a false orange band.
    X = [[-1.0, -1.0], [-0.5, 1.0], [0.5, -1.0], [1.0, 1.0]]
    path = plots.decision_boundary(TwoSides(), X, [0, 0, 2, 2], tmp_path / "b.png", resolution=40)
    assert pixels_near(path, blended("tab:blue")) > 1000  # class 0's side
    assert pixels_near(path, blended("tab:green")) > 1000  # class 2's side
    assert pixels_near(path, blended("tab:orange")) == 0


def png_size(path):
    with open(path, "rb") as file:
        header = file.read(24)
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def test_pictures_are_sharp_in_a_notebook_column_and_fit_a_projector(tmp_path):
    X, y = make_moons(20, seed=0)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, y, steps=3, progress=False, X_val=X[:5], y_val=y[:5])
    line = MLP(1, [4, 1], seed=0)
    for path in (
        plots.loss_curves(history, tmp_path / "loss.png", title="moons"),
        plots.decision_boundary(model, X, y, tmp_path / "boundary.png", resolution=20),
        plots.regression_fit(line, [[x[0]] for x in X], [x[1] for x in X], tmp_path / "fit.png"),
    ):
        width, height = png_size(path)
        assert 800 <= width <= 1400 and height <= 1080, (path, width, height)
