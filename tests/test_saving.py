"""nn.load: a model file is data, checked before it is trusted, and read in linear time."""

from engine import Value
from nn import Module


class CountedName(str):
    """A label that counts how often it is hashed (each set or dict lookup hashes it once)."""

    hashes = 0

    def __hash__(self):
        CountedName.hashes += 1
        return str.__hash__(self)


class Wide(Module):
    """`n` parameters with counted labels."""

    def __init__(self, n):
        self.ps = [Value(0.0, CountedName(f"w{i}")) for i in range(n)]

    def __call__(self, x):
        return self.ps[0] * x

    def parameters(self):
        return self.ps


def test_load_state_dict_does_work_linear_in_the_parameter_count():
    # It used to build a set of all labels once per key: n² hashes, minutes for 100k weights.
    n = 500
    model = Wide(n)
    CountedName.hashes = 0
    model.load_state_dict({f"w{i}": float(i) for i in range(n)})
    assert [p.data for p in model.parameters()] == [float(i) for i in range(n)]
    assert CountedName.hashes <= 3 * n
