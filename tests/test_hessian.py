"""One Hessian, three routes: grad of grad, finite differences of backward, and by hand."""

import math

import pytest

from engine import Value, grad


def f(x, y, z):
    return x * x * y + y * z.tanh() + (x * z).exp()


def by_hand(x, y, z):
    e, t = math.exp(x * z), math.tanh(z)
    s = 1 - t * t  # sech² z
    return [
        [2 * y + z * z * e, 2 * x, e + x * z * e],
        [2 * x, 0.0, s],
        [e + x * z * e, s, -2 * y * s * t + x * x * e],
    ]


def grad_of_grad(point):
    xs = [Value(v) for v in point]
    first = grad(f(*xs), xs, create_graph=True)
    return [grad(d, xs) for d in first]


def differences_of_backward(point, eps=1e-5):
    def gradient(p):
        xs = [Value(v) for v in p]
        f(*xs).backward()
        return [x.grad for x in xs]

    rows = []
    for j in range(3):
        up, down = list(point), list(point)
        up[j] += eps
        down[j] -= eps
        rows.append([(a - b) / (2 * eps) for a, b in zip(gradient(up), gradient(down))])
    return [list(col) for col in zip(*rows)]  # row i: d/dx_j of df/dx_i


@pytest.mark.parametrize("point", [(0.3, -1.2, 0.7), (-0.8, 0.5, -1.1), (1.1, 2.0, 0.1)])
def test_three_routes_to_the_hessian_agree(point):
    exact = by_hand(*point)
    engine_hessian = grad_of_grad(point)
    numeric = differences_of_backward(point)
    for i in range(3):
        for j in range(3):
            assert engine_hessian[i][j] == pytest.approx(exact[i][j], rel=1e-12, abs=1e-12)
            assert numeric[i][j] == pytest.approx(exact[i][j], rel=1e-6, abs=1e-6)
            assert engine_hessian[i][j] == pytest.approx(engine_hessian[j][i], rel=1e-12)
