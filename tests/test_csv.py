"""nn.data.load_csv: a user's CSV file read into X, y and names; malformed files named by line."""

import pytest

from nn import MLP, fit
from nn.data import CsvData, load_csv


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


FLOWERS = """\
sepal_length,sepal_width,species
5.1,3.5,setosa
7.0,3.2,versicolor
6.3,3.3,virginica
4.9,3.0,setosa
"""


def test_a_classification_with_text_labels(tmp_path):
    data = load_csv(write(tmp_path, FLOWERS))
    assert isinstance(data, CsvData)
    assert data.task == "classification"
    assert data.X == [[5.1, 3.5], [7.0, 3.2], [6.3, 3.3], [4.9, 3.0]]
    assert all(type(x) is float for row in data.X for x in row)
    assert data.y == [0, 1, 2, 0]
    assert data.class_names == ("setosa", "versicolor", "virginica")
    assert data.feature_names == ("sepal_length", "sepal_width") and data.target == "species"
    assert (data.n_features, data.n_classes) == (2, 3)


def test_integer_labels_are_classes_sorted_by_number(tmp_path):
    data = load_csv(write(tmp_path, "a,b,digit\n1,2,10\n3,4,9\n5,6,10\n7,8,-1\n"))
    assert data.task == "classification"
    assert data.class_names == (-1, 9, 10)  # numeric order, not text order ('-1', '10', '9')
    assert data.y == [2, 1, 2, 0]


def test_text_labels_are_sorted_as_text_and_stripped(tmp_path):
    data = load_csv(write(tmp_path, "x,label\n1,b\n2, a\n3,b \n4,C\n"))
    assert data.class_names == ("C", "a", "b")
    assert data.y == [2, 1, 2, 0]


def test_other_numbers_in_the_target_make_a_regression(tmp_path):
    data = load_csv(write(tmp_path, "x,y\n0.0,1.5\n1.0,2\n2.0,-0.25\n"))
    assert data.task == "regression"
    assert data.y == [1.5, 2.0, -0.25] and all(type(t) is float for t in data.y)
    assert data.class_names == () and data.n_classes is None


def test_target_names_the_target_column_anywhere(tmp_path):
    data = load_csv(write(tmp_path, "id_class,x1,x2\nb,1,2\na,3,4\n"), target="id_class")
    assert data.feature_names == ("x1", "x2") and data.target == "id_class"
    assert data.X == [[1.0, 2.0], [3.0, 4.0]] and data.y == [1, 0]


def test_task_overrides_the_guess(tmp_path):
    path = write(tmp_path, "x,count\n1,3\n2,5\n3,3\n")
    assert load_csv(path).task == "classification"
    data = load_csv(path, task="regression")
    assert data.task == "regression" and data.y == [3.0, 5.0, 3.0]
    decimals = write(tmp_path, "x,grade\n1,1.5\n2,2.5\n3,1.5\n", "grades.csv")
    data = load_csv(decimals, task="classification")
    assert data.class_names == (1.5, 2.5) and data.y == [0, 1, 0]
    mixed = write(tmp_path, "x,code\n1,7\n2,A\n3,7\n", "mixed.csv")
    data = load_csv(mixed, task="classification")
    assert data.class_names == ("7", "A") and data.y == [0, 1, 0]


def test_blank_lines_a_byte_order_mark_crlf_and_quoted_fields_are_fine(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b'\xef\xbb\xbf"x",y\r\n1,"a"\r\n\r\n2,b\r\n,\r\n')
    data = load_csv(path)
    assert data.feature_names == ("x",) and data.X == [[1.0], [2.0]] and data.y == [0, 1]


def test_the_shipped_iris_file_reads_as_a_user_csv(tmp_path):
    from nn.data import load_iris

    X, y = load_iris()
    lines = ["a,b,c,d,species"] + [
        ",".join(map(repr, row)) + "," + ["setosa", "versicolor", "virginica"][t]
        for row, t in zip(X, y, strict=True)
    ]
    data = load_csv(write(tmp_path, "\n".join(lines) + "\n"))
    assert data.X == X and data.y == y and data.class_names[0] == "setosa"


def test_a_model_trains_on_what_load_csv_returns(tmp_path):
    rows = "\n".join(f"{x},{-x},{'pos' if x > 0 else 'neg'}" for x in (-2, -1, -0.5, 0.5, 1, 2))
    data = load_csv(write(tmp_path, "u,v,sign\n" + rows + "\n"))
    model = MLP(data.n_features, [4, data.n_classes], seed=0)
    history = fit(model, data.X, data.y, loss="cross_entropy", steps=60, progress=False)
    assert history.accuracy[-1] == 1.0


def test_dataset_info_gives_fresh_copies_and_the_names(tmp_path):
    data = load_csv(write(tmp_path, FLOWERS, "flowers.csv"))
    info = data.dataset_info()
    assert (info.name, info.task, info.n_features, info.n_classes) == (
        "flowers",
        "classification",
        2,
        3,
    )
    assert info.class_names == ("setosa", "versicolor", "virginica") and info.real
    X, y = info.load(0)
    assert (X, y) == (data.X, data.y)
    X[0][0] = 99.0
    assert info.load(0)[0][0][0] == 5.1 and data.X[0][0] == 5.1
    assert load_csv(write(tmp_path, "x,n\n1,2\n2,1\n")).dataset_info().class_names == ("1", "2")


# ---- malformed files: a ValueError that names the file and the line ----

MALFORMED = [
    ("x,y\n1,a\n2,b,3\n", r"data\.csv, line 3: 3 fields, but the header \(line 1\) names 2"),
    ("x,y\n1,a\n2\n", r"line 3: 1 field, but"),
    ("x,z,y\n1,2,a\n1,two,b\n", r"line 3: column 'z' is 'two', not a number"),
    ("x,y\n1,a\n,b\n", r"line 3: column 'x' is empty"),
    ("x,y\n1,a\nnan,b\n", r"line 3: column 'x' is 'nan'; features must be finite"),
    ("x,y\n1,a\n-inf,b\n", r"line 3: column 'x' is '-inf'"),
    ("x,y\n1,a\n2,a\n3,a\n", r"the target 'y' is 'a' on every data line \(lines 2-4\)"),
    ("x,y\n1,0\n2,0\n", r"the target 'y' is 0 on every data line"),
    ("x,y\n", r"data\.csv: no data rows after the header on line 1"),
    ("\n\n", r"data\.csv is empty: a CSV needs a header row"),
    ("", r"data\.csv is empty"),
    ("1.0,2.0,0\n3.0,4.0,1\n", r"line 1: the first row looks like data"),
    ("x,,y\n1,2,a\n", r"line 1: column 2 has no name"),
    ("x,x,y\n1,2,a\n", r"line 1: column name 'x' is used twice \(columns 1 and 2\)"),
    ("x;y\n1;a\n", r"line 1: one column 'x;y'.*separated by ';'"),
    ("x,y\n1,a\n2,3\n", r"line 3: the target 'y' is '3', but line 2 holds 'a'"),
    ("x,y\n1,1.5\n2,NA\n", r"line 3: the target 'y' is 'NA', but line 2 holds '1.5'"),
    ("x,y\n1,a\n2,\n", r"line 3: the target 'y' is empty"),
    ('x,y\n1,a\n2,"b\n', r"line 3: not valid CSV \(unexpected end of data\)"),
    ('x,y\n1,"a"b\n', r"line 2: not valid CSV"),
    ('x,y\n1,"two\nlines"\n3\n', r"line 4: 1 field, but"),  # a quoted field spans lines 2-3
]


@pytest.mark.parametrize("text, message", MALFORMED)
def test_a_malformed_file_is_a_value_error_naming_the_file_and_line(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        load_csv(write(tmp_path, text))


def test_a_missing_target_column_lists_the_columns(tmp_path):
    with pytest.raises(ValueError, match=r"line 1: no column named 'label'.*: x, y, species"):
        load_csv(write(tmp_path, "x,y,species\n1,2,a\n"), target="label")


def test_regression_refuses_text_and_non_finite_targets(tmp_path):
    with pytest.raises(ValueError, match=r"line 3: the target 'y' is 'b'; regression needs"):
        load_csv(write(tmp_path, "x,y\n1,2\n2,b\n"), task="regression")
    with pytest.raises(ValueError, match=r"line 2: the target 'y' is 'inf'"):
        load_csv(write(tmp_path, "x,y\n1,inf\n2,0.5\n"))


def test_text_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("x,city\n1,Paris\n2,Zürich\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1\.csv, line 3: not UTF-8 text \(byte 0xfc\)"):
        load_csv(path)


def test_bad_arguments_say_what_is_allowed(tmp_path):
    path = write(tmp_path, FLOWERS)
    with pytest.raises(ValueError, match="task must be one of 'classification', 'regression'"):
        load_csv(path, task="clustering")
    with pytest.raises(TypeError, match="target must be a str, not int"):
        load_csv(path, target=2)
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, not list"):
        load_csv([path])
    with pytest.raises(FileNotFoundError):
        load_csv(tmp_path / "missing.csv")


def test_values_are_read_as_python_reads_floats(tmp_path):
    data = load_csv(write(tmp_path, "x,y\n0.1,1e-3\n 1e300 ,2.5\n"))
    assert data.X == [[0.1], [1e300]] and data.y == [1e-3, 2.5]
