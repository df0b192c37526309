"""Examples shared by several test files (imported as `from examples import ...`)."""

from engine import Value


def micrograd_example():
    """micrograd's first example; by hand: dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4.

    L = (a·b + c)·f with a = 2, b = -3, c = 10, f = -2; returns L and every node by name.
    """
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c, f = Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, dict(a=a, b=b, c=c, d=d, e=e, f=f, L=L)
