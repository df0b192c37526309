"""`steps()`: `fit`'s loop one stage per `next()`: forward, loss, backward, update, stop.

The stages come from the loop `fit` runs (`nn.train.loop.Loop.stages`), so running them to the
end leaves the model, the optimizer and the History where `fit` leaves them, bit for bit. The
only difference is the update, made by the optimizer's `step_steps()` (equal to `step()`) so
that the update stage can show each parameter's rule with its numbers.

>>> from nn import MLP
>>> from nn.data import make_xor
>>> from nn.train import steps
>>> X, y = make_xor(n_samples=20, seed=0)
>>> loop = steps(MLP(2, [4, 1], seed=0), X, y, loss="hinge", lr=0.1, steps=5)
>>> [next(loop).kind for _ in range(5)]
['forward', 'loss', 'backward', 'update', 'stop']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine import Value, backward_steps, forward_steps, topological_order
from engine.steps import Step, keeping_grads
from engine.text import elide, number
from nn.train.callbacks import EarlyStopping
from nn.train.fit import Run, prepare
from nn.train.objective import sample_loss

SHOWN = 2  # how many of the largest grads and changes a stage names


def steps(
    model,
    X: Sequence,
    y: Sequence,
    loss: str | Callable = "auto",
    optimizer: Any = None,
    steps: int = 100,
    batch_size: int | None = None,
    schedule: Any = None,
    callbacks: Sequence = (),
    *,
    lr: float | None = None,
    l2: float = 0.0,
    target_loss: float | None = None,
    patience: int | None = None,
    seed: int = 0,
    progress: bool | None = None,
    X_val: Sequence | None = None,
    y_val: Sequence | None = None,
    eval_every: int | None = None,
    compile: bool | str = "auto",
) -> TrainingSteps:
    """`fit(model, X, y, ...)` one stage per `next()`: the same arguments, the same run.

    Each step yields a 'forward', 'loss', 'backward' and 'update' stage and then a 'stop'
    stage that says which criteria were checked and whether one held (a run stopped by its
    target loss or by divergence stops right after the stage where it happened). Run to the
    end, the model, the optimizer and `.history` are where `fit` leaves them (`history.seconds`
    counts the time spent inside `next()`). Arguments are checked at the call, and the
    callbacks' `on_train_begin` runs there, as in `fit`; `progress` is ignored (no bar: the
    stages are the progress). Changing the weights, grads or lr between two `next()`s is
    refused with a RuntimeError. `compile`: 'auto' (the default) and False step the eager
    graph, so every stage's replay walks the whole graph; True steps a compiled model (the
    backward replay then covers the loss's graph on the model's outputs only).
    """
    run = prepare(
        model, X, y, loss, optimizer, steps, batch_size, schedule, callbacks,
        lr=lr, l2=l2, target_loss=target_loss, patience=patience, seed=seed,
        progress=False, X_val=X_val, y_val=y_val, eval_every=eval_every,
        compile=compile is True,  # 'auto' stays eager: every stage's replay walks the whole graph
    )  # fmt: skip
    run.begin()
    return TrainingSteps(run)


@dataclass(eq=False)
class Stage:
    """One stage of a training step: `kind` and `step` (0, 1, ...); `str()` says what it did."""

    kind: str
    step: int

    def __str__(self) -> str:
        return f"step {self.step} {self.kind}: {self.describe()}"

    def describe(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"


@dataclass(eq=False, repr=False)
class ForwardStage(Stage):
    """The model run on the step's batch: `batch` (sample indices) and their `outputs`."""

    batch: list[int] = field(default_factory=list)
    outputs: list = field(default_factory=list)

    def describe(self) -> str:
        shown = elide([_output(out) for out in self.outputs])
        return f"{len(self.batch)} samples → outputs [{', '.join(shown)}]"

    def steps(self, sample: int = 0, output: int = 0) -> Iterator:
        """`forward_steps()` of one sample's output (its place in the batch; `output` for a
        model with several), node by node; refused once the update has changed the weights."""
        out = self.outputs[sample]
        return forward_steps(out if type(out) is Value else out[output])


@dataclass(eq=False, repr=False)
class LossStage(Stage):
    """The loss of the step: `loss` (the Value backward starts from) and `value`, which is
    `data_loss` (the loss function's mean over the batch) plus `l2_term` (l2·Σp², or 0)."""

    name: str = ""
    loss: Value | None = None
    value: float = 0.0
    data_loss: float = 0.0
    l2_term: float = 0.0
    l2: float = 0.0
    samples: int = 0

    def describe(self) -> str:
        head = f"{self.name} over {self.samples} samples {number(self.data_loss)}"
        if not self.l2:
            return f"{head} = {number(self.value)}"
        return f"{head} + {self.l2:g}·Σp² {number(self.l2_term)} = {number(self.value)}"


@dataclass(eq=False, repr=False)
class BackwardStage(Stage):
    """`loss.backward()` on zeroed grads: `grads[i]` is d loss / d `params[i]`.

    `steps()` replays it node by node with `backward_steps` (or one sample's loss alone) while
    this is the current stage; the replay's pass is taken back when it ends, is closed or the
    loop moves on, so every `.grad` stays what `backward()` gave and nothing is doubled.
    """

    loss: Value | None = None
    params: list[Value] = field(default_factory=list)
    grads: list[float] = field(default_factory=list)
    model: Any = None
    objective: Any = None
    inputs: list = field(default_factory=list)
    batch: list[int] = field(default_factory=list)
    live: bool = True
    replays: list[Replay] = field(default_factory=list)  # those started, in order

    def describe(self) -> str:
        named = zip(_names(self.params), self.grads, strict=True)
        top = sorted(named, key=lambda pair: -abs(pair[1]))[:SHOWN]
        largest = ", ".join(f"{name} {number(g)}" for name, g in top)
        return f"grads of {len(self.params)} parameters, largest {largest}"

    def steps(self, sample: int | None = None) -> Replay:
        """`backward_steps` over the batch's loss graph, or over sample `sample`'s loss alone
        (its place in the batch; its data loss, no L2 term), lazily, one node per `next()`."""
        if not self.live:
            raise RuntimeError(
                f"step {self.step}'s backward pass is over: the update changed the weights its "
                "graph was built on"
            )
        if sample is None:
            root = self.loss
        else:
            i = self.batch[sample]
            targets = self.objective.targets
            root = sample_loss(self.model, self.objective, self.inputs[i], targets[i])
            _name(root, "loss")
        return Replay(self, root)

    def close(self) -> None:
        """End every replay and refuse new ones: the loop moves on. The last one started ends
        first, so the first one started puts back the grads it found, backward()'s own."""
        self.live = False
        while self.replays:
            self.replays.pop().close()


class Replay:
    """A backward pass for show: `backward_steps` with every `.grad` put back when it ends."""

    def __init__(self, stage: BackwardStage, root: Value) -> None:
        self.stage = stage
        self._steps = _replay(root)
        self._started = False

    def __iter__(self) -> Replay:
        return self

    def __next__(self) -> Step:
        if not self.stage.live:
            raise RuntimeError(
                f"step {self.stage.step}'s backward pass is over: the loop moved on to the update"
            )
        if not self._started:
            self._started = True
            self.stage.replays.append(self)
        return next(self._steps)

    def close(self) -> None:
        self._steps.close()


def _replay(root: Value) -> Iterator[Step]:
    walk = backward_steps(root)
    with keeping_grads(topological_order(root)):
        try:
            yield from walk
        finally:
            walk.close()  # its own grads first, then keeping_grads puts the old ones back


@dataclass(eq=False, repr=False)
class UpdateStage(Stage):
    """The optimizer's update: `updates`, one `nn.optim.UpdateStep` per parameter (None for an
    optimizer that cannot show its steps), and `changes`, (name, after - before) per parameter."""

    optimizer: Any = None
    lr: float = 0.0
    updates: list | None = None
    changes: list[tuple[str, float]] = field(default_factory=list)

    def describe(self) -> str:
        head = f"{type(self.optimizer).__name__} lr {number(self.lr)}"
        top = sorted(self.changes, key=lambda pair: -abs(pair[1]))[:SHOWN]
        largest = ", ".join(f"{name} {'+' if d >= 0 else ''}{number(d)}" for name, d in top)
        return f"{head} on {len(self.changes)} parameters, largest changes {largest}"

    def steps(self) -> Iterator:
        """The update's steps, one parameter each (`print` one to see its rule)."""
        return iter(self.updates or ())


@dataclass(eq=False, repr=False)
class StopStage(Stage):
    """Whether to stop: `checks` is (criterion, held) for each one checked, `held` whether any
    did, `reason` the History's stop reason when it did (None to go on), `message` why."""

    reason: str | None = None
    held: bool = False
    checks: list[tuple[str, bool]] = field(default_factory=list)
    message: str = ""

    def describe(self) -> str:
        checked = " · ".join(f"{name}: {'yes' if held else 'no'}" for name, held in self.checks)
        return f"{checked}  →  " + (f"stop: {self.message}" if self.held else "next step")

    def __str__(self) -> str:
        return f"step {self.step} stop? {self.describe()}"


class TrainingSteps:
    """The iterator `steps()` returns: `next()` runs one stage; `history`, `model`, `optimizer`
    are the run's own, and `history` is complete once the last stage is out."""

    def __init__(self, run: Run) -> None:
        self.run = run
        loop = run.loop
        self.model, self.optimizer, self.history = loop.model, loop.optimizer, loop.history
        self.step = 0
        self.done = False
        self.busy = 0.0
        self._batch: list[int] = []
        self._stages = loop.stages(run.state.steps, self._take_update)
        self._current: Stage | None = None
        self._seen = self._state()

    def __iter__(self) -> TrainingSteps:
        return self

    def __next__(self) -> Stage:
        if self.done:
            raise StopIteration
        if isinstance(self._current, BackwardStage):
            self._current.close()
        self._check_unchanged()
        start = time.perf_counter()
        kind, what = next(self._stages)
        stage = getattr(self, f"_{kind}")(what)
        self.busy += time.perf_counter() - start
        if kind == "stop":
            self.step += 1
            if stage.held:
                self.done = True
                self.run.end(self.busy)
        self._current = stage
        self._seen = self._state()
        return stage

    def __repr__(self) -> str:
        where = "done" if self.done else f"at step {self.step} of {self.run.state.steps}"
        return f"<TrainingSteps {where}>"

    # ---- one method per kind of stage: what the loop yielded, as a Stage ----

    def _forward(self, what) -> ForwardStage:
        batch, outputs = what
        self._batch = list(batch)
        return ForwardStage("forward", self.step, self._batch, outputs)

    def _loss(self, what) -> LossStage:
        data, penalty, total = what
        loop = self.run.loop
        _name(total, "loss")  # so that a replay reads `loss = hinge + l2_term`
        _name(data, loop.objective.name)
        if penalty is not None:
            _name(penalty, "l2_term")
        return LossStage(
            "loss",
            self.step,
            loop.objective.name,
            total,
            total.data,
            data.data,
            penalty.data if penalty is not None else 0.0,
            loop.l2,
            len(self._batch),
        )

    def _backward(self, total: Value) -> BackwardStage:
        loop = self.run.loop
        return BackwardStage(
            "backward",
            self.step,
            total,
            loop.params,
            [p.grad for p in loop.params],
            loop.model,
            loop.objective,
            loop.X,
            self._batch,
        )

    def _take_update(self) -> tuple[list | None, list[float]]:
        """The update: by `step_steps()` where the optimizer has it, else by `step()`."""
        optimizer, params = self.optimizer, self.run.loop.params
        before = [p.data for p in params]
        if not callable(getattr(optimizer, "step_steps", None)):
            return optimizer.step(), before
        try:
            return list(optimizer.step_steps()), before
        except NotImplementedError:  # an nn.optim optimizer of the user's, without updates()
            if [p.data for p in params] != before:
                raise
            return optimizer.step(), before

    def _update(self, what) -> UpdateStage:
        updates, before = what
        params = self.run.loop.params
        changes = [(n, p.data - b) for n, p, b in zip(_names(params), params, before, strict=True)]
        optimizer = self.optimizer
        return UpdateStage("update", self.step, optimizer, optimizer.lr, updates, changes)

    def _stop(self, reason: str | None) -> StopStage:
        checks = self._checks(reason)
        message = self.history.message if reason is not None else ""
        return StopStage("stop", self.step, reason, reason is not None, checks, message)

    def _checks(self, reason: str | None) -> list[tuple[str, bool]]:
        """(criterion, held) for the criteria the loop checked at this stop."""
        if reason == "target_loss":
            return [(f"target loss {self.run.loop.target_loss:g}", True)]
        if reason in ("diverged", "interrupted"):
            return [(reason, True)]
        total = self.run.state.steps
        checks = [(f"step limit ({min(self.step + 1, total)} of {total})", reason == "steps")]
        if self.run.loop.target_loss is not None:
            checks.append((f"target loss {self.run.loop.target_loss:g}", False))
        stopper = next(
            (cb for cb in self.run.loop.callbacks if isinstance(cb, EarlyStopping)), None
        )
        if stopper is not None:
            checks.append((f"patience {stopper.patience}", reason == "patience"))
        if reason not in (None, "steps", "patience"):
            checks.append((reason, True))  # a callback of the user's
        checks.append(("diverged", False))
        return checks

    # ---- nothing may change between two stages ----

    def _state(self) -> tuple:
        params = self.run.loop.params
        return [p.data for p in params], [p.grad for p in params], self.optimizer.lr

    def _check_unchanged(self) -> None:
        data, grads, lr = self._seen
        now_data, now_grads, now_lr = self._state()
        names = _names(self.run.loop.params)
        for what, old, new in (("weights", data, now_data), ("grads", grads, now_grads)):
            if old != new:
                i = next(i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b)
                self._refuse(f"the model's {what} changed ({names[i]}: {old[i]!r} → {new[i]!r})")
        if lr != now_lr:
            self._refuse(f"the optimizer's lr changed ({lr!r} → {now_lr!r})")

    def _refuse(self, what: str) -> None:
        raise RuntimeError(
            f"nn.train.steps cannot go on: {what} between two stages, so the next stage would "
            "not be the one fit takes; put it back, or start a new steps(...)"
        )


def _output(out) -> str:
    if type(out) is Value:
        return number(out.data)
    return "(" + ", ".join(elide([number(v.data) for v in out], 4)) + ")"


def _name(node: Value, label: str) -> None:
    """Label a node of the loss graph for the replays, unless it has a label already."""
    if not node.label:
        node.label = label


def _names(params: list[Value]) -> list[str]:
    return [p.label or f"params[{i}]" for i, p in enumerate(params)]
