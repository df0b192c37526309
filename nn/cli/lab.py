"""`gradstep lab`: train as `gradstep train` does, live behind the lab page on 127.0.0.1.

The run is `gradstep train`'s (same flags, same folder, same files and summary; with --lab
also lab/index.html, the page replaying what was recorded live), in a thread of its own with
the lab's recorder and a `Gate` as its last callbacks; the main thread serves the page
(`nn.cli.live`). Every step is recorded (a run of more than 1,000 steps records
1,000 of them, evenly spaced, and the gate holds and steps from one recorded step to the
next). The page's buttons pause, step and resume the training; closing the page changes
nothing: the run goes on and writes its files. Ctrl-C ends the training after the step in
progress, writes the run's files and exits 130; after the run is over, the page stays until
Ctrl-C and the exit status is the run's (0 done, 1 diverged).
"""

from __future__ import annotations

import argparse
import errno
import sys
import threading
from collections.abc import Callable

from nn.cli.gate import Gate
from nn.cli.live import HOST, LabServer, LiveRun
from nn.cli.run import GuardedLab, lab_recorder, run, settle

LIVE_STEPS = 1000  # steps recorded at most: every step of every recipe, a bounded memory


def lab(args: argparse.Namespace, usage_error: Callable[[str], None]) -> int:
    """Run `gradstep lab` with parsed flags; a port in use is a usage error (exit 2)."""
    try:
        server = LabServer(args.port)
    except OSError as error:
        usage_error(port_error(args.port, error))
    try:
        plan, data, model, claim = settle(args, usage_error)
        try:
            return serve(server, plan, data, model, claim.path, args)
        finally:
            claim.release()
    finally:
        server.server_close()


def serve(server: LabServer, plan, data, model, out: str, args: argparse.Namespace) -> int:
    """Train behind the page until the run is over and Ctrl-C comes; the run's exit status."""
    recorder = lab_recorder(plan, out, data[2], data[3])  # --lab's, with the held-out part if any
    recorder.max_steps = max(2, min(plan.steps, LIVE_STEPS))  # every step, up to 1,000
    gate = Gate(shown=shown_by(recorder))
    live = server.live = LiveRun(recorder, gate)
    status: list[int] = []
    interrupted = threading.Event()

    def train_behind() -> None:
        try:
            flags = dict(
                compile=args.compile,
                lab=args.lab,
                recorder=recorder,
                extra=[gate],
                command="gradstep lab",
            )
            status.append(run(plan, data, model, out, args.render_every, args.progress, **flags))
        finally:
            live.over()
            if not interrupted.is_set():
                over = "over" if status else "over, with an error (above)"
                print(
                    f"gradstep lab: the run is {over}; the page stays at {server.url} until Ctrl-C"
                )

    trainer = threading.Thread(target=train_behind, name="gradstep lab training")
    print(
        f"gradstep lab: the page is live at {server.url} "
        f"(Ctrl-C stops the training and writes its files into {out})",
        flush=True,
    )
    trainer.start()
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        interrupted.set()
        gate.stop()  # the run ends after the step in progress
    while trainer.is_alive():
        try:
            trainer.join()
        except KeyboardInterrupt:
            print("gradstep lab: writing the run's files, a moment", file=sys.stderr)
    sys.stdout.flush()
    return status[0] if status else 1


def shown_by(recorder: GuardedLab) -> Callable[[int], bool]:
    """Where the gate may hold: at the recorder's newest step, so that the page shows the step
    the run waits after (anywhere once the recording stopped: no step will come)."""

    def shown(step: int) -> bool:
        steps = recorder.steps
        return recorder.note is not None or (bool(steps) and steps[-1].get("step") == step)

    return shown


def port_error(port: int, error: OSError) -> str:
    """What to do when the server cannot listen on `port`."""
    where = f"port {port} on {HOST}"
    if error.errno == errno.EADDRINUSE:
        return f"{where} is in use; choose another --port, or leave it out for a free one"
    if error.errno == errno.EACCES:
        return (
            f"cannot listen on {where}: permission denied; choose a --port from 1024 to "
            "65535, or leave it out for a free one"
        )
    return f"cannot listen on {where}: {error.strerror or error}"
