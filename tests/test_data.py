"""nn.data: seeded toy data, the train/test split, the shipped iris and digits, the registry."""

import dataclasses
import doctest
import hashlib
import math
import random
from collections import Counter
from importlib import resources

import pytest

import nn
from nn import data
from nn.data import (
    DATASETS,
    get_dataset,
    load_digits,
    load_iris,
    make_blobs,
    make_circles,
    make_moons,
    make_sine,
    make_spirals,
    make_xor,
    standardize,
    train_test_split,
)
from nn.data.real import _parse_digits, _parse_iris

# (generator, kwargs, samples, features, classes) for each classification generator's defaults
# and for a non-default call.
CLASSIFIERS = [
    (make_moons, {}, 100, 2, 2),
    (make_moons, {"n_samples": 7, "noise": 0.0}, 7, 2, 2),
    (make_circles, {}, 100, 2, 2),
    (make_circles, {"n_samples": 33, "factor": 0.3}, 33, 2, 2),
    (make_spirals, {}, 300, 2, 3),
    (make_spirals, {"n_samples": 50, "n_classes": 5}, 50, 2, 5),
    (make_xor, {}, 100, 2, 2),
    (make_xor, {"n_samples": 2}, 2, 2, 2),
    (make_blobs, {}, 100, 2, 3),
    (make_blobs, {"centers": [[0, 0, 0], [5, 5, 5]], "n_samples": 9}, 9, 3, 2),
]
GENERATORS = [make_moons, make_circles, make_spirals, make_xor, make_blobs, make_sine]


def mean(xs):
    return math.fsum(xs) / len(xs)


def column_stats(X, j):
    col = [row[j] for row in X]
    m = mean(col)
    return m, math.sqrt(mean([(v - m) ** 2 for v in col]))


@pytest.mark.parametrize("make, kwargs, n, n_features, k", CLASSIFIERS)
def test_classification_generators_give_plain_lists_of_the_promised_shape(
    make, kwargs, n, n_features, k
):
    X, y = make(**kwargs)
    assert type(X) is list and type(y) is list
    assert len(X) == len(y) == n
    assert all(type(row) is list and len(row) == n_features for row in X)
    assert all(type(v) is float and math.isfinite(v) for row in X for v in row)
    assert all(type(label) is int for label in y)
    assert set(y) == set(range(k))  # class indices 0..k-1, every class present


def test_classes_are_split_evenly_and_the_samples_come_shuffled():
    assert sorted(Counter(make_spirals(n_samples=301)[1]).values()) == [100, 100, 101]
    assert Counter(make_moons(n_samples=101)[1]) == {0: 50, 1: 51}  # sklearn: outer gets n // 2
    assert Counter(make_blobs(n_samples=10, centers=4)[1]) == {0: 3, 1: 3, 2: 2, 3: 2}
    y = make_moons()[1]
    assert y != sorted(y)


def test_make_sine_is_a_regression_curve_on_minus_3_to_3():
    X, y = make_sine(n_samples=200, noise=0.0, seed=3)
    assert len(X) == len(y) == 200 and all(len(row) == 1 for row in X)
    assert all(type(v) is float for v in y)
    assert all(-3.0 <= row[0] <= 3.0 for row in X)
    assert min(row[0] for row in X) < -2.5 and max(row[0] for row in X) > 2.5
    assert all(v == math.sin(row[0]) for row, v in zip(X, y, strict=True))
    X, y = make_sine(n_samples=2000, noise=0.1, seed=3)
    residuals = [v - math.sin(row[0]) for row, v in zip(X, y, strict=True)]
    assert abs(mean(residuals)) < 0.01
    assert 0.09 < math.sqrt(mean([r * r for r in residuals])) < 0.11


@pytest.mark.parametrize("make", GENERATORS)
def test_same_seed_same_data_other_seed_other_data(make):
    assert make(seed=7) == make(seed=7)
    assert make(seed=7) != make(seed=8)


@pytest.mark.parametrize("make", GENERATORS)
def test_generators_leave_the_global_random_state_alone(make):
    random.seed(123)
    expected = random.random()
    random.seed(123)
    make(seed=0)
    assert random.random() == expected


def test_moons_without_noise_lie_on_their_two_half_circles():
    X, y = make_moons(n_samples=50, noise=0.0)
    for (a, b), label in zip(X, y, strict=True):
        if label == 0:  # outer: upper half of the unit circle
            assert math.isclose(a * a + b * b, 1.0) and b >= -1e-12
        else:  # inner: lower half of the unit circle around (1, 0.5)
            assert math.isclose((a - 1) ** 2 + (b - 0.5) ** 2, 1.0) and b <= 0.5 + 1e-12


def test_moons_class_means_sit_on_the_expected_sides():
    X, y = make_moons(n_samples=400, noise=0.1)
    outer = [row for row, label in zip(X, y, strict=True) if label == 0]
    inner = [row for row, label in zip(X, y, strict=True) if label == 1]
    # Outer half circle: mean (0, 2/pi); inner: (1, 0.5 - 2/pi).
    assert abs(mean([p[0] for p in outer])) < 0.05
    assert abs(mean([p[1] for p in outer]) - 2 / math.pi) < 0.05
    assert abs(mean([p[0] for p in inner]) - 1) < 0.05
    assert abs(mean([p[1] for p in inner]) - (0.5 - 2 / math.pi)) < 0.05


def test_circles_inner_radius_is_factor():
    X, y = make_circles(n_samples=40, noise=0.0, factor=0.3)
    radii = {
        label: [math.hypot(*p) for p, lb in zip(X, y, strict=True) if lb == label]
        for label in (0, 1)
    }
    assert all(math.isclose(r, 1.0) for r in radii[0])
    assert all(math.isclose(r, 0.3) for r in radii[1])
    X, y = make_circles(n_samples=400, noise=0.05, factor=0.5)
    inner = [math.hypot(*p) for p, label in zip(X, y, strict=True) if label == 1]
    outer = [math.hypot(*p) for p, label in zip(X, y, strict=True) if label == 0]
    assert abs(mean(inner) - 0.5) < 0.02 and abs(mean(outer) - 1.0) < 0.02


def test_spiral_arms_follow_their_angle_without_noise():
    k = 4
    X, y = make_spirals(n_samples=80, n_classes=k, noise=0.0)
    for (a, b), label in zip(X, y, strict=True):
        r = math.hypot(a, b)
        assert r <= 1.0 + 1e-12
        if r > 1e-9:  # angle measured from the y axis: (r sin t, r cos t)
            expected = 2 * math.pi * label / k + 4 * r
            diff = (math.atan2(a, b) - expected) % (2 * math.pi)
            assert min(diff, 2 * math.pi - diff) < 1e-9


def test_xor_labels_are_1_where_the_signs_differ():
    X, y = make_xor(n_samples=200, noise=0.1)
    assert all(label == int(a * b < 0) for (a, b), label in zip(X, y, strict=True))
    corners = Counter((a > 0, b > 0) for a, b in X)
    assert sorted(corners.values()) == [50, 50, 50, 50]
    assert all(abs(abs(v) - 1) < 0.5 for row in X for v in row)


def test_blobs_gather_around_their_centers():
    centers = [[-4.0, 0.0], [4.0, 1.0], [0.0, 6.0]]
    X, y = make_blobs(n_samples=600, centers=centers, std=0.5)
    for j, c in enumerate(centers):
        members = [row for row, label in zip(X, y, strict=True) if label == j]
        for d in range(2):
            m, s = column_stats(members, d)
            assert abs(m - c[d]) < 0.1 and abs(s - 0.5) < 0.1
    X, y = make_blobs(n_samples=30, centers=3, std=0.0)
    assert {tuple(row) for row in X} == {
        (2.5 * math.cos(2 * math.pi * j / 3), 2.5 * math.sin(2 * math.pi * j / 3)) for j in range(3)
    }


def test_iris_is_150_flowers_by_4_with_50_per_species():
    X, y = load_iris()
    assert len(X) == len(y) == 150 and all(len(row) == 4 for row in X)
    assert Counter(y) == {0: 50, 1: 50, 2: 50}
    assert X[0] == [5.1, 3.5, 1.4, 0.2] and y[0] == 0
    assert X[-1] == [5.9, 3.0, 5.1, 1.8] and y[-1] == 2
    assert data.IRIS_CLASSES == ("setosa", "versicolor", "virginica")


def test_digits_are_1797_images_of_64_pixels_0_to_16():
    X, y = load_digits()
    assert len(X) == len(y) == 1797 and all(len(row) == 64 for row in X)
    assert set(y) == set(range(10))
    assert {v for row in X for v in row} == set(map(float, range(17)))
    assert X[0][:8] == [0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0] and y[0] == 0
    assert y[:10] == list(range(10))
    assert data.DIGITS_CLASSES == tuple("0123456789")


@pytest.mark.parametrize("load", [load_iris, load_digits])
def test_standardize_gives_mean_0_std_1_and_blank_features_stay_0(load):
    raw, y_raw = load()
    X, y = load(standardize=True)
    assert y == y_raw and len(X) == len(raw)
    for j in range(len(X[0])):
        m, s = column_stats(X, j)
        assert abs(m) < 1e-9
        if len({row[j] for row in raw}) == 1:
            assert all(row[j] == 0.0 for row in X)
        else:
            assert abs(s - 1) < 1e-9
    if load is load_digits:  # pixels 0, 32 and 39 are blank in every image
        assert all(row[j] == 0.0 for row in X for j in (0, 32, 39))


def test_standardize_on_its_own_copies_and_keeps_constant_columns_at_0():
    X = [[1.0, 0.1, 5], [3.0, 0.1, 5], [5.0, 0.1, 5]]
    Z = standardize(X)
    s = math.sqrt(8 / 3)
    assert Z == [[-2 / s, 0.0, 0.0], [0.0, 0.0, 0.0], [2 / s, 0.0, 0.0]]
    assert X[0] == [1.0, 0.1, 5]


def test_loaders_return_fresh_lists_so_the_cache_cannot_be_corrupted():
    X, y = load_iris()
    X[0][0] = -99.0
    X.pop()
    y[0] = 7
    X2, y2 = load_iris()
    assert X2[0][0] == 5.1 and len(X2) == 150 and y2[0] == 0
    assert load_digits()[0] is not load_digits()[0]


def test_shipped_files_are_the_byte_for_byte_copies():
    # The sha256 of /work/shared/data's iris.csv and digits.csv.gz (scikit-learn 1.9.1's copies).
    expected = {
        "iris.csv": "f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449",
        "digits.csv.gz": "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
    }
    folder = resources.files("nn.datasets")
    for name, digest in expected.items():
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == digest
    assert "CC BY 4.0" in folder.joinpath("SOURCES.md").read_text(encoding="utf-8")


def test_a_damaged_data_file_is_reported_not_half_loaded():
    good = resources.files("nn.datasets").joinpath("iris.csv").read_text("ascii")
    header, *rows = good.splitlines()
    assert _parse_iris(good)[1][:2] == (0, 0)
    with pytest.raises(ValueError, match="iris.csv is damaged: first line"):
        _parse_iris("150,4,setosa,versicolor\n" + "\n".join(rows))
    with pytest.raises(ValueError, match="expected 150 rows, found 149"):
        _parse_iris("\n".join([header, *rows[:-1]]))
    with pytest.raises(ValueError, match="row 3 has 4 fields"):
        _parse_iris("\n".join([header, *rows[:3], "5.1,3.5,1.4,0", *rows[4:]]))
    with pytest.raises(ValueError, match="row 0 has label 3"):
        _parse_iris("\n".join([header, "5.1,3.5,1.4,0.2,3", *rows[1:]]))
    with pytest.raises(ValueError, match="digits.csv.gz is damaged: row 0 is not numbers"):
        _parse_digits("\n".join(["x," * 64 + "0"] * 1797))


def tagged(n):
    """Rows that carry their own index, so the split can be checked sample by sample."""
    return [[float(i), float(i % 3)] for i in range(n)], [i % 3 for i in range(n)]


@pytest.mark.parametrize(
    "test_size, n_test", [(0.25, 25), (0.2, 20), (0.07, 7), (0.333, 34), (10, 10), (99, 99)]
)
def test_split_sizes_follow_test_size(test_size, n_test):
    X, y = tagged(100)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=1)
    assert len(X_test) == len(y_test) == n_test
    assert len(X_train) == len(y_train) == 100 - n_test


@pytest.mark.parametrize("stratify", [False, True])
def test_split_loses_and_duplicates_nothing_and_keeps_pairs(stratify):
    X, y = tagged(101)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.3, seed=5, stratify=stratify)
    assert sorted(row[0] for row in X_train + X_test) == [float(i) for i in range(101)]
    for rows, labels in ((X_train, y_train), (X_test, y_test)):
        assert [int(row[1]) for row in rows] == labels
    assert [row[0] for row in X_test] != sorted(row[0] for row in X_test)  # shuffled


def test_split_is_reproducible_and_copies_rows():
    X, y = load_iris()
    first = train_test_split(X, y, seed=3)
    assert first == train_test_split(X, y, seed=3)
    assert first != train_test_split(X, y, seed=4)
    first[0][0][0] = -1.0
    assert min(row[0] for row in X) > 0


def test_stratified_split_keeps_each_class_proportion():
    X, y = load_iris()
    _, _, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    assert Counter(y_test) == {0: 10, 1: 10, 2: 10}
    assert Counter(y_train) == {0: 40, 1: 40, 2: 40}
    _, _, _, y_test = train_test_split(*tagged(10), test_size=4, seed=0, stratify=True)
    assert sorted(Counter(y_test).values()) == [1, 1, 2]  # shares 1.6, 1.2, 1.2 of the 4


def test_registry_names_and_what_each_entry_promises():
    assert list(DATASETS) == [
        "moons",
        "circles",
        "spirals",
        "xor",
        "blobs",
        "sine",
        "iris",
        "digits",
    ]
    for name, info in DATASETS.items():
        assert get_dataset(name) is info and info.name == name
        X, y = info.load(0)
        assert X == info.load(0)[0]
        assert all(len(row) == info.n_features for row in X)
        if info.task == "regression":
            assert info.n_classes is None and info.class_names == ()
            assert all(type(v) is float for v in y)
        else:
            assert info.task == "classification"
            assert set(y) == set(range(info.n_classes)) and len(info.class_names) == info.n_classes
    assert [n for n, info in DATASETS.items() if info.real] == ["iris", "digits"]
    assert get_dataset("iris").class_names == ("setosa", "versicolor", "virginica")
    assert get_dataset("moons").class_names == ("0", "1")
    assert get_dataset("moons").load(1) != get_dataset("moons").load(2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_dataset("moons").n_features = 3


def test_unknown_dataset_name_lists_the_valid_ones():
    with pytest.raises(
        ValueError,
        match="unknown dataset 'moon'; choose one of: moons, circles, "
        "spirals, xor, blobs, sine, iris, digits",
    ):
        get_dataset("moon")
    with pytest.raises(TypeError, match="name must be a str"):
        get_dataset(3)


def test_nn_data_is_reachable_from_nn_and_its_doctest_passes():
    assert nn.data is data and nn.data.make_moons is make_moons
    assert doctest.testmod(data).failed == 0


BAD_CALLS = [
    (make_moons, {"n_samples": 0}, ValueError, r"n_samples must be an int >= 2.*got 0"),
    (make_moons, {"n_samples": 1}, ValueError, r"n_samples must be an int >= 2"),
    (make_moons, {"n_samples": 10.0}, TypeError, r"n_samples must be an int >= 2, not float"),
    (make_moons, {"n_samples": True}, TypeError, r"n_samples must be an int"),
    (make_moons, {"noise": -0.1}, ValueError, r"noise must be a finite number >= 0, got -0.1"),
    (make_moons, {"noise": math.nan}, ValueError, r"noise must be a finite number"),
    (make_moons, {"noise": "0.1"}, TypeError, r"noise must be a real number, not str"),
    (make_moons, {"seed": 1.5}, TypeError, r"seed must be an int"),
    (make_circles, {"factor": 1.0}, ValueError, r"factor must be in \[0, 1\)"),
    (make_circles, {"factor": -0.5}, ValueError, r"factor must be a finite number >= 0"),
    (make_spirals, {"n_classes": 1}, ValueError, r"n_classes must be an int >= 2, got 1"),
    (make_spirals, {"n_samples": 4, "n_classes": 5}, ValueError, r"n_samples must be an int >= 5"),
    (make_xor, {"n_samples": -3}, ValueError, r"n_samples must be an int >= 2"),
    (make_blobs, {"centers": 1}, ValueError, r"centers must be an int >= 2, got 1"),
    (make_blobs, {"centers": [[0, 0]]}, ValueError, r"centers must hold at least 2 points"),
    (make_blobs, {"centers": [[0, 0], [1]]}, ValueError, r"same length"),
    (make_blobs, {"centers": "abc"}, TypeError, r"centers must be an int >= 2 or a list of points"),
    (make_blobs, {"std": -1}, ValueError, r"std must be a finite number >= 0"),
    (make_blobs, {"n_samples": 2}, ValueError, r"n_samples must be an int >= 3"),
    (make_sine, {"n_samples": 0}, ValueError, r"n_samples must be an int >= 1, got 0"),
    (make_sine, {"noise": -1}, ValueError, r"noise must be a finite number >= 0"),
    (load_iris, {"standardize": "yes"}, TypeError, r"standardize must be True or False"),
    (load_digits, {"standardize": 1}, TypeError, r"standardize must be True or False"),
    (standardize, {"X": []}, ValueError, r"X is empty: it needs at least one sample"),
    (standardize, {"X": [[1, 2], [3]]}, ValueError, r"same length"),
    (standardize, {"X": [[1, "a"]]}, TypeError, r"X\[0\] must hold numbers, found str"),
    (standardize, {"X": 5}, TypeError, r"X must be a list of samples"),
]
_X, _Y = tagged(10)
BAD_SPLITS = [
    ({"X": _X, "y": _Y[:9]}, ValueError, r"len\(X\)=10, len\(y\)=9"),
    ({"X": _X, "y": _Y, "test_size": 0.0}, ValueError, r"fraction must be in \(0, 1\), got 0.0"),
    ({"X": _X, "y": _Y, "test_size": 1.0}, ValueError, r"fraction must be in \(0, 1\)"),
    ({"X": _X, "y": _Y, "test_size": 10}, ValueError, r"allow 1..9 test samples"),
    ({"X": _X, "y": _Y, "test_size": 0}, ValueError, r"gives 0 test samples out of 10"),
    ({"X": _X, "y": _Y, "test_size": 0.99}, ValueError, r"gives 10 test samples"),
    ({"X": _X, "y": _Y, "test_size": "half"}, TypeError, r"test_size must be a fraction"),
    ({"X": _X[:1], "y": _Y[:1]}, ValueError, r"at least 2 samples, got 1"),
    ({"X": 3, "y": _Y}, TypeError, r"X must be a list"),
    ({"X": _X, "y": "abcdefghij"}, TypeError, r"y must be a list"),
    ({"X": [1, 2], "y": [0, 1]}, TypeError, r"X\[0\] must be a row"),
    ({"X": _X, "y": _Y, "seed": "s"}, TypeError, r"seed must be an int"),
]


@pytest.mark.parametrize("fn, kwargs, error, message", BAD_CALLS)
def test_bad_arguments_are_named_with_what_is_allowed(fn, kwargs, error, message):
    with pytest.raises(error, match=message):
        fn(**kwargs)


@pytest.mark.parametrize("kwargs, error, message", BAD_SPLITS)
def test_bad_split_arguments_are_named_with_what_is_allowed(kwargs, error, message):
    with pytest.raises(error, match=message):
        train_test_split(**kwargs)
