"""gradstep against micrograd 0.1.0, side by side in one process: `./dev bench`.

Each workload runs on both engines alternately, `--repeats` times, and the table reports the
median of each and their ratio (micrograd's time over gradstep's: how many times faster).
The same inputs, the same initial weights and the same loss go to both engines.
"""

from __future__ import annotations

import argparse
import builtins
import gc
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from operator import mul

import engine
from engine import Value
from nn import MLP, fit, losses
from nn.data import load_digits, make_moons
from nn.optim import SGD, LinearLR
from nn.train.lab import LabRecorder, write_lab

try:
    import micrograd.engine as mg_engine
    import micrograd.nn as mg_nn
except ImportError:  # pragma: no cover - the bench extra installs it
    sys.exit("benchmarks need micrograd 0.1.0: pip install -e '.[bench]' (./dev bench does)")


def seconds(fn, times: int = 1) -> float:
    """Seconds per call of `fn`, over `times` calls in a row.

    The heap is cleaned first, so that one engine's leftover garbage (micrograd's graphs are
    reference cycles) is not collected, and timed, during the other's run; calls in a row then
    pay for their own garbage, as a training loop does.
    """
    gc.collect()
    start = time.perf_counter()
    for _ in range(times):
        fn()
    return (time.perf_counter() - start) / times


def alternate(repeats: int, micrograd_run, gradstep_run, times: int = 1) -> tuple[float, float]:
    """Median seconds of each, measured in turns so that both see the same machine."""
    mg, gs = [], []
    for _ in range(repeats):
        mg.append(seconds(micrograd_run, times))
        gs.append(seconds(gradstep_run, times))
    return statistics.median(mg), statistics.median(gs)


# ---- micrograd's demo: moons, MLP 2-16-16-1, hinge + 1e-4·L2, full batch, one SGD step ----


def demo_models(seed: int = 0):
    """A micrograd MLP and a gradstep MLP with the same weights."""
    random.seed(seed)
    mg_model = mg_nn.MLP(2, [16, 16, 1])
    gs_model = MLP(2, [16, 16, 1], init="micrograd", seed=seed)
    for p, q in zip(mg_model.parameters(), gs_model.parameters()):
        q.data = p.data
    return mg_model, gs_model


def micrograd_demo_step(model, X, y, lr=1.0):
    inputs = [list(map(mg_engine.Value, row)) for row in X]
    scores = list(map(model, inputs))
    data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(scores))
    total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


def gradstep_demo_step(model, X, y, lr=1.0):
    scores = [model(row) for row in X]
    total = losses.hinge(scores, y) + 1e-4 * losses.l2(model.parameters())
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


def handwritten_weights(model):
    """The MLP's weights as plain lists: per layer, rows of [w0, ..., w_n-1, b]."""
    return [[[p.data for p in (*n.w, n.b)] for n in layer.neurons] for layer in model.layers]


def handwritten_demo_step(layers, X, y, lr=1.0, alpha=1e-4):
    """The demo step written out by hand in plain Python, no graph: the floor for any engine."""
    grads = [[[0.0] * len(row) for row in layer] for layer in layers]
    last = len(layers) - 1
    total = 0.0
    n = len(X)
    for x, target in zip(X, y):
        acts = [[*x, 1.0]]  # each layer's input with a trailing 1.0 for the bias
        for k, layer in enumerate(layers):
            zs = [sum(map(mul, row, acts[-1])) for row in layer]
            acts.append(zs if k == last else [z if z > 0.0 else 0.0 for z in zs] + [1.0])
        margin = 1.0 - target * acts[-1][0]
        if margin <= 0.0:
            continue
        total += margin / n
        delta = [-target / n]
        for k in range(last, -1, -1):
            inp, grad = acts[k], grads[k]
            back = [0.0] * (len(inp) - 1)
            for j, d in enumerate(delta):
                if d:
                    grad[j] = [g + d * a for g, a in zip(grad[j], inp)]
                    back = [b + d * w for b, w in zip(back, layers[k][j])]
            delta = [b if a > 0.0 else 0.0 for b, a in zip(back, inp)]
    total += alpha * sum(w * w for layer in layers for row in layer for w in row)
    for layer, grad in zip(layers, grads):
        for j, (row, g) in enumerate(zip(layer, grad)):
            layer[j] = [w - lr * (gw + 2 * alpha * w) for w, gw in zip(row, g)]
    return total


def compiled_demo_step(model, X, y):
    """The demo step with each sample's hinge loss on engine.compile (a label of +1 and one of
    -1: two traces) and the L2 term eager, as fit does it; returns the step, a function of lr."""
    per_sample = engine.compile(lambda x, t: losses.hinge([model(x)], [t]), X[0], y[0])
    params = model.parameters()
    calls = list(zip(X, y))
    n = len(calls)

    def step(lr=1.0, alpha=1e-4):
        model.zero_grad()
        data_loss = builtins.sum(per_sample.value_and_grad_sum(calls, 1.0 / n), 0.0) / n
        penalty = losses.l2(params)
        penalty.backward(alpha)
        for p in params:
            p.data -= lr * p.grad
        return data_loss + alpha * penalty.data

    return step


def trace_time(X, y) -> float:
    """Seconds from a fresh model to the end of its first compiled step (tracing included)."""
    model = demo_models()[1]
    gc.collect()
    start = time.perf_counter()
    compiled_demo_step(model, X, y)(lr=0.0)
    return time.perf_counter() - start


def bench_demo(repeats: int) -> list[tuple]:
    X, labels = make_moons(100, noise=0.1, seed=0)
    y = [2 * c - 1 for c in labels]
    mg_model, gs_model = demo_models()
    # Same weights, same step: the two engines must agree on the loss before we time them.
    a = micrograd_demo_step(mg_model, X, y)
    b = gradstep_demo_step(gs_model, X, y)
    assert abs(a - b) < 1e-9, (a, b)
    # A third route to the same number: the step written out by hand.
    hand = handwritten_weights(demo_models()[1])
    assert abs(handwritten_demo_step(hand, X, y, lr=0.0) - b) < 1e-9
    # And a fourth: the compiled step, whose update must give the eager step's weights.
    compiled_model = demo_models()[1]
    compiled = compiled_demo_step(compiled_model, X, y)
    assert abs(compiled() - b) < 1e-9
    for p, q in zip(compiled_model.parameters(), gs_model.parameters()):
        assert abs(p.data - q.data) < 1e-12
    mg, gs = alternate(
        repeats,
        lambda: micrograd_demo_step(mg_model, X, y, lr=0.0),
        lambda: gradstep_demo_step(gs_model, X, y, lr=0.0),
        times=3,
    )
    floor, gs_again = alternate(
        repeats,
        lambda: handwritten_demo_step(hand, X, y, lr=0.0),
        lambda: gradstep_demo_step(gs_model, X, y, lr=0.0),
        times=3,
    )
    floor_again, fast = alternate(
        repeats,
        lambda: handwritten_demo_step(hand, X, y, lr=0.0),
        lambda: compiled(lr=0.0),
        times=3,
    )
    traced = statistics.median(trace_time(X, y) for _ in range(repeats))
    return [
        ("demo step (moons 100, 2-16-16-1, hinge + L2, SGD), ms", mg * 1e3, gs * 1e3),
        ("the same step written by hand, no graph (the floor), ms", "-", floor * 1e3),
        ("gradstep's step / the floor", "-", gs_again / floor),
        ("the same step compiled (engine.compile), ms", mg * 1e3, fast * 1e3),
        ("the compiled step / the floor", "-", fast / floor_again),
        ("tracing the demo step: compile + first step, ms", "-", traced * 1e3),
    ]


# ---- a random expression graph: forward + backward, ns per node ----


def random_program(n_nodes: int, seed: int = 0) -> list[tuple]:
    """Ops that both engines have (+ - * / **2 relu), with shared subexpressions."""
    rng = random.Random(seed)
    steps = []
    for i in range(n_nodes):
        pool = 8 + i
        op = rng.choice("+-*/^r")
        steps.append((op, rng.randrange(max(0, pool - 50), pool), rng.randrange(0, pool)))
    return steps


def run_program(make, steps):
    """Every op keeps |x| <= 1, so a long program neither overflows nor underflows to nothing."""
    pool = [make(v) for v in (0.5, -0.3, 0.8, 0.1, -0.7, 0.2, 0.9, -1.0)]
    for op, i, j in steps:
        a, b = pool[i], pool[j]
        if op == "+":
            out = (a + b) * 0.5
        elif op == "-":
            out = (a - b) * 0.5
        elif op == "*":
            out = a * b
        elif op == "/":
            out = a / (b * b + 1.0)
        elif op == "^":
            out = a**2
        else:
            out = a.relu()
        pool.append(out)
    return pool[-1]


def count_nodes(root) -> int:
    return len(engine.topological_order(root))


def bench_expression(repeats: int, n_ops: int = 25_000) -> list[tuple]:
    steps = random_program(n_ops)
    gs_nodes = count_nodes(run_program(Value, steps))

    def mg():
        run_program(mg_engine.Value, steps).backward()

    def gs():
        run_program(Value, steps).backward()

    mg_s, gs_s = alternate(repeats, mg, gs)
    per = 1e9 / gs_nodes
    name = f"random expression ({gs_nodes:,} gradstep nodes), ns per node"
    return [(name, mg_s * per, gs_s * per)]


# ---- memory: bytes per op node ----


def micrograd_nodes(root) -> int:
    """micrograd's own node count (its topological sort recurses, so walk it here)."""
    seen, stack = {root}, [root]
    while stack:
        for child in stack.pop()._prev:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return len(seen)


def bytes_per_node(make, steps, count) -> float:
    """Memory held by a forward pass's graph, per node of that engine's own graph."""
    gc.collect()
    tracemalloc.start()
    root = run_program(make, steps)
    used = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return used / count(root)


def bench_memory() -> list[tuple]:
    steps = random_program(25_000)
    return [
        (
            "memory of a forward graph, bytes per node (each engine's own nodes)",
            bytes_per_node(mg_engine.Value, steps, micrograd_nodes),
            bytes_per_node(Value, steps, count_nodes),
        )
    ]


# ---- a chain of a million nodes ----


class CollectorTime:
    """Seconds Python's cycle collector runs, and its full collections, while this is open.

    Read through `gc.callbacks`, which the collector calls as each collection starts and ends;
    the collector's settings are left as they are.
    """

    def __init__(self) -> None:
        self.seconds, self.full, self.started = 0.0, 0, 0.0

    def note(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self.started
            self.full += info["generation"] == 2

    def __enter__(self) -> CollectorTime:
        gc.callbacks.append(self.note)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self.note)


def chain(make, n: int) -> tuple[float, float, CollectorTime]:
    """Seconds to build y = x + 1 + 1 + ... (n nodes), and to run its backward pass; and the
    collector's time and full collections during the two."""
    gc.collect()
    with CollectorTime() as collector:
        start = time.perf_counter()
        x = make(0.5)
        y = x
        for _ in range(n):
            y = y + 1.0
        built = time.perf_counter()
        y.backward()
        done = time.perf_counter()
    return built - start, done - built, collector


def bench_chain() -> list[tuple]:
    def total(run):
        return run[0] + run[1]

    small = min((chain(Value, 100_000) for _ in range(3)), key=total)
    big = min((chain(Value, 1_000_000) for _ in range(2)), key=total)
    try:
        chain(mg_engine.Value, 1_000_000)
        mg = "ok"
    except RecursionError:
        mg = "RecursionError"
    ours = [total(run) - run[2].seconds for run in (small, big)]
    return [
        ("chain of 1,000,000 nodes: forward + backward, s", mg, total(big)),
        (
            "chain: forward + backward time(1,000,000) / time(100,000)",
            "-",
            total(big) / total(small),
        ),
        ("chain: backward time(1,000,000) / time(100,000)", "-", big[1] / small[1]),
        (
            "chain: forward time(1,000,000) / time(100,000) (Python's collector)",
            "-",
            big[0] / small[0],
        ),
        (
            "chain: full collections by Python's collector, 1,000,000 / 100,000 nodes",
            "-",
            f"{big[2].full} / {small[2].full}",
        ),
        (
            "chain: the collector's time(1,000,000) / time(100,000)",
            "-",
            big[2].seconds / small[2].seconds,
        ),
        ("chain: forward + backward less the collector's time, 1M / 100k", "-", ours[1] / ours[0]),
    ]


# ---- one epoch of digits: MLP 64-32-10, MSE on one-hot targets, minibatches of 32 ----


def digits_epoch(make_value, model, X, y, limit=None):
    n = len(X) if limit is None else limit
    for start in range(0, n, 32):
        rows, labels = X[start : start + 32], y[start : start + 32]
        loss = 0.0
        for row, label in zip(rows, labels):
            outs = model([make_value(v) for v in row])
            loss = loss + sum((o - (1.0 if k == label else 0.0)) ** 2 for k, o in enumerate(outs))
        loss = loss * (1.0 / len(rows))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.01 * p.grad


def compiled_digits_epoch(model, X, y):
    """`digits_epoch` on engine.compile: each image's loss traced once, targets one-hot floats
    (inputs of the trace, so one trace serves every label); returns the epoch as a function."""
    targets = [[1.0 if k == label else 0.0 for k in range(10)] for label in y]

    def sample_loss(row, target):
        return builtins.sum((o - t) ** 2 for o, t in zip(model(row), target))

    f = engine.compile(sample_loss, X[0], targets[0])
    calls = list(zip(X, targets))
    params = model.parameters()

    def epoch():
        for start in range(0, len(calls), 32):
            batch = calls[start : start + 32]
            model.zero_grad()
            f.value_and_grad_sum(batch, 1.0 / len(batch))
            for p in params:
                p.data -= 0.01 * p.grad

    return epoch


def bench_digits(repeats: int) -> list[tuple]:
    X, y = load_digits(standardize=True)
    # The compiled epoch must end where the eager one does.
    eager_model, fast_model = MLP(64, [32, 10], seed=0), MLP(64, [32, 10], seed=0)
    digits_epoch(float, eager_model, X, y)
    compiled_digits_epoch(fast_model, X, y)()
    for p, q in zip(eager_model.parameters(), fast_model.parameters()):
        assert abs(p.data - q.data) < 1e-9
    random.seed(0)
    mg_model = mg_nn.MLP(64, [32, 10])
    gs_model = MLP(64, [32, 10], seed=0)
    limit = 320  # micrograd on a slice of the epoch, scaled to the whole epoch
    scale = len(X) / limit
    mg = statistics.median(
        seconds(lambda: digits_epoch(mg_engine.Value, mg_model, X, y, limit))
        for _ in range(max(1, repeats // 2))
    )
    gs = statistics.median(
        seconds(lambda: digits_epoch(float, gs_model, X, y)) for _ in range(max(1, repeats // 2))
    )
    epoch = compiled_digits_epoch(MLP(64, [32, 10], seed=0), X, y)
    eager, fast = alternate(
        max(1, repeats // 2), lambda: digits_epoch(float, gs_model, X, y), epoch
    )
    name = f"digits epoch (1,797 images, 64-32-10), s; micrograd on {limit} scaled"
    return [
        (name, mg * scale, gs),
        ("the same epoch compiled (engine.compile), s", mg * scale, fast),
        ("digits epoch: eager / compiled (same run)", "-", eager / fast),
    ]


# ---- fit: the default `gradstep train` run, eager and compiled ----


def default_fit(compile="auto", callbacks=()):
    """`gradstep train`'s default run (micrograd's demo, 100 steps) in `fit`, with `callbacks`:
    its History, and the process time `fit` took (the machine may be shared: this process's
    time only)."""
    X, y = make_moons(100, noise=0.1, seed=1337)
    model = MLP(2, [16, 16, 1], init="micrograd", seed=1337)
    opt = SGD(model.parameters(), lr=1.0)
    start = time.process_time()
    history = fit(
        model, X, y, loss="hinge", l2=1e-4, optimizer=opt, schedule=LinearLR(opt, 1.0, 0.1, 100),
        steps=100, callbacks=callbacks, progress=False, compile=compile,
    )  # fmt: skip
    spent = time.process_time() - start
    assert history.train_accuracy == 1.0
    return history, spent


def default_run(compile) -> float:
    """Seconds of the 100 steps of micrograd's demo in `fit` (the summary line's number)."""
    return default_fit(compile)[0].seconds


def bench_fit(repeats: int) -> list[tuple]:
    eager, compiled = alternate(
        max(1, repeats // 2), lambda: default_run(False), lambda: default_run("auto")
    )
    return [
        ("the default gradstep train run: fit's 100 steps, compiled, s", "-", compiled),
        ("the same run eager / compiled", "-", eager / compiled),
    ]


# ---- the lab: recording the default run for its page (gradstep train --lab) ----


def lab_run(callbacks, compile="auto") -> float:
    """Process seconds of `gradstep train`'s default training, with `callbacks`."""
    gc.collect()
    return default_fit(compile, callbacks)[1]


class TimedRecorder(LabRecorder):
    """A LabRecorder that counts the process time spent inside it."""

    spent = 0.0

    def on_train_begin(self, state):
        start = time.process_time()
        super().on_train_begin(state)
        self.spent += time.process_time() - start

    def on_step_end(self, step, logs):
        start = time.process_time()
        super().on_step_end(step, logs)
        self.spent += time.process_time() - start

    def on_train_end(self, history):
        start = time.process_time()
        super().on_train_end(history)
        self.spent += time.process_time() - start


def page_time(recorder) -> float:
    """Seconds to write the recorder's page after the run: shaping its steps, the JSON, the file."""
    with tempfile.TemporaryDirectory() as folder:
        gc.collect()
        start = time.process_time()
        write_lab(folder, recorder)
        return time.process_time() - start


def bench_lab(repeats: int) -> list[tuple]:
    """Issue 13's criterion: recording adds at most 25% to the default run's training time.
    The default run trains compiled, recorded or not; plain and recorded runs go in turns."""
    eager = TimedRecorder()
    lab_run([eager], compile=False)
    check = TimedRecorder()
    lab_run([check])
    assert check.steps == eager.steps and len(check.steps) == 101  # the same page, all steps
    plain, recorded, inside, recorders = [], [], [], []
    for _ in range(3 * repeats):  # compiled runs are short: more turns for a steady median
        plain.append(lab_run([]))
        recorders.append(TimedRecorder())
        recorded.append(lab_run(recorders[-1:]))
        inside.append(recorders[-1].spent / (recorded[-1] - recorders[-1].spent))
    pages = [page_time(recorder) for recorder in recorders[:repeats]]  # each shaped once
    eager_plain, eager_recorded = [], []
    for _ in range(max(1, repeats // 2)):
        eager_plain.append(lab_run([], compile=False))
        eager_recorded.append(lab_run([TimedRecorder()], compile=False))
    a, b = statistics.median(plain), statistics.median(recorded)
    ea, eb = statistics.median(eager_plain), statistics.median(eager_recorded)
    return [
        ("default run (100 demo steps), compiled, s", "-", a),
        ("the same, recorded for the lab (--lab; compiled), s", "-", b),
        ("recording's cost: recorded / plain, compiled (issue 13: <= 1.25)", "-", b / a),
        (
            "recording's cost: time in the recorder / the rest of the run",
            "-",
            statistics.median(inside),
        ),
        ("writing the recorded page after the run, s", "-", statistics.median(pages)),
        ("eager (--no-compile): recorded / plain", "-", eb / ea),
    ]


def table(rows: list[tuple]) -> str:
    def cell(x):
        if not isinstance(x, float):
            return str(x)
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"  # 30,600 rather than 3.06e+04

    lines = ["| workload | micrograd 0.1.0 | gradstep | ratio |", "|---|---:|---:|---:|"]
    for name, mg, gs in rows:
        ratio = f"{mg / gs:.1f}x" if isinstance(mg, float) and isinstance(gs, float) else "-"
        if "chain:" in name or "floor" in name or "recorded" in name:
            ratio = "-"
        lines.append(f"| {name} | {cell(mg)} | {cell(gs)} | {ratio} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each workload (default 5)")
    workloads = ["demo", "expression", "memory", "chain", "digits", "fit", "lab"]
    parser.add_argument("--only", choices=workloads, action="append")
    args = parser.parse_args(argv)
    chosen = args.only or workloads
    rows: list[tuple] = []
    for name in chosen:
        if name == "demo":
            rows += bench_demo(args.repeats)
        elif name == "expression":
            rows += bench_expression(args.repeats)
        elif name == "memory":
            rows += bench_memory()
        elif name == "chain":
            rows += bench_chain()
        elif name == "digits":
            rows += bench_digits(args.repeats)
        elif name == "fit":
            rows += bench_fit(args.repeats)
        else:
            rows += bench_lab(args.repeats)
    print(f"Python {platform.python_version()} on {platform.machine()} ({os.cpu_count()} cores)")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
