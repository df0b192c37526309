"""`gradstep lab`: the server that shows a run on 127.0.0.1 and nothing else, and the command
run end to end, with a port in use, Ctrl-C and the page in a real browser."""

import http.client
import json
import math
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
from cdp import Browser

import nn
from nn.cli import build_parser
from nn.cli.gate import Gate
from nn.cli.lab import shown_by
from nn.cli.live import LIVE_SCRIPT, LabServer, LiveRun

TIMEOUT = 60.0


def wait_until(condition, timeout=TIMEOUT):
    """Poll `condition` until it is true (bounded: fails after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# ---- the server: the page and its data, nothing else, to this machine only ----


class Recorded:
    """Stands for the lab's recorder: the meta and the steps the server passes on."""

    def __init__(self):
        self.meta = {"dataset": "<b>xor</b>", "steps": 3}
        self.steps = [{"step": 0, "loss": 0.5}, {"step": 1, "loss": math.nan}]


@pytest.fixture
def server():
    """A LabServer on a free port with a fake recording, serving in a thread; always shut."""
    gate = Gate()
    gate.began.set()
    lab = LabServer(0, LiveRun(Recorded(), gate))
    thread = threading.Thread(target=lab.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield lab
    finally:
        lab.shutdown()
        lab.server_close()
        thread.join(TIMEOUT)


def ask(lab, method, path, body=None, headers=None):
    """(status, headers, body) of one request to the server."""
    connection = http.client.HTTPConnection("127.0.0.1", lab.server_address[1], timeout=TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def control(lab, action, **headers):
    body = json.dumps({"action": action})
    return ask(lab, "POST", "/control", body, {"Content-Type": "application/json", **headers})


def test_a_run_that_failed_to_begin_is_done_and_keeps_no_page_waiting():
    live = LiveRun(Recorded(), Gate())  # training never began: the gate never heard of it
    waited = threading.Thread(target=live.page)
    waited.start()
    live.over()
    waited.join(TIMEOUT)
    assert not waited.is_alive() and live.state == "done"


def test_the_server_listens_on_the_loopback_address_only(server):
    assert server.server_address[0] == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.server_address[1]}/"


def test_the_page_is_served_with_the_live_script_in_place(server):
    status, headers, body = ask(server, "GET", "/")
    page = body.decode()
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert LIVE_SCRIPT in page and "/*LIVE*/" not in page
    assert "<b>xor</b>" not in page  # the meta is data in the page, never markup


@pytest.mark.parametrize(
    "path",
    [
        "/index.html",
        "/lab/index.html",
        "/steps/",
        "/control",
        "/nn/",
        "/nn/cli/live.py",
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "//etc/passwd",
        "/.git/config",
        "/metrics.json",
        "/model.json",
    ],
)
def test_nothing_else_is_served_no_file_no_listing(server, path):
    status, headers, body = ask(server, "GET", path)
    assert status == 404 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"error": "not found: the lab serves only /, /steps and /control"}


def test_other_methods_are_refused(server):
    assert ask(server, "POST", "/")[0] == 404
    assert ask(server, "POST", "/steps")[0] == 404
    for method in ("PUT", "DELETE", "HEAD", "OPTIONS"):
        assert ask(server, method, "/")[0] == 501


def test_steps_from_an_index_on_with_the_state_and_the_meta_on_the_first_poll(server):
    status, headers, body = ask(server, "GET", "/steps?from=0")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "steps": [{"step": 0, "loss": 0.5}, {"step": 1, "loss": None}],  # NaN is null in JSON
        "state": "running",
        "held": None,
        "meta": {"dataset": "<b>xor</b>", "steps": 3},
    }
    assert json.loads(ask(server, "GET", "/steps?from=1")[2]) == {
        "steps": [{"step": 1, "loss": None}],
        "state": "running",
        "held": None,
    }
    server.live.recorder.steps.append({"step": 2, "loss": 0.25})  # recorded meanwhile
    assert json.loads(ask(server, "GET", "/steps?from=2")[2])["steps"] == [
        {"step": 2, "loss": 0.25}
    ]
    assert json.loads(ask(server, "GET", "/steps?from=99")[2])["steps"] == []
    assert len(json.loads(ask(server, "GET", "/steps")[2])["steps"]) == 3


@pytest.mark.parametrize("query", ["from=x", "from=-1", "from=1.5", "from=", "from=1&from=2"])
def test_a_bad_from_is_refused_by_name(server, query):
    status, _, body = ask(server, "GET", f"/steps?{query}")
    assert status == 400 and "from must be one whole number >= 0" in json.loads(body)["error"]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example"])
def test_a_request_to_another_host_name_is_refused(server, host):
    # a page of another site whose name resolves to 127.0.0.1 (DNS rebinding) reads nothing
    for method, path in (("GET", "/"), ("GET", "/steps"), ("POST", "/control")):
        status, _, body = ask(server, method, path, headers={"Host": host})
        assert status == 403 and "answers requests to 127.0.0.1 only" in json.loads(body)["error"]


def test_loopback_names_on_any_port_are_served(server):
    # `localhost`, and another port as through an SSH tunnel (ssh -L 9000:127.0.0.1:PORT)
    for host in ("localhost:9000", "127.0.0.1", "[::1]:8000"):
        assert ask(server, "GET", "/steps", headers={"Host": host})[0] == 200


def held(gate):
    """Run one step end through the gate in a thread; return it (held while paused)."""
    thread = threading.Thread(target=gate.on_step_end, args=(7, {}))
    thread.start()
    return thread


def test_control_pauses_and_resumes_the_gate(server):
    gate = server.live.gate
    status, _, body = control(server, "pause")
    assert (status, json.loads(body)) == (200, {"state": "paused"})
    thread = held(gate)
    wait_until(lambda: gate.holding == 7)
    answer = json.loads(ask(server, "GET", "/steps?from=2")[2])
    assert (answer["state"], answer["held"]) == ("paused", 7)
    status, _, body = control(server, "resume")
    assert (status, json.loads(body)) == (200, {"state": "running"})
    thread.join(TIMEOUT)
    assert not thread.is_alive()


@pytest.mark.parametrize(
    "body, headers, said",
    [
        ('{"action": "pause"}', {"Content-Type": "text/plain"}, "send JSON"),
        ('{"action": "pause"}', {"Content-Type": "application/x-www-form-urlencoded"}, "JSON"),
        ("action=pause", {"Content-Type": "application/json"}, "the body must be JSON"),
        ('["pause"]', {"Content-Type": "application/json"}, "the body must be JSON"),
        ('{"action": 1}', {"Content-Type": "application/json"}, "the body must be JSON"),
        ('{"action": "go"}', {"Content-Type": "application/json"}, "one of pause, step, resume"),
    ],
)
def test_control_takes_only_an_action_as_json(server, body, headers, said):
    status, _, answer = ask(server, "POST", "/control", body, headers)
    assert status == 400 and said in json.loads(answer)["error"]
    thread = held(server.live.gate)  # not paused: it goes through
    thread.join(TIMEOUT)
    assert not thread.is_alive()


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "https://127.0.0.1.evil.example"]
)
def test_control_from_another_site_is_refused(server, origin):
    status, _, body = control(server, "pause", Origin=origin)
    assert status == 403 and "answers its own page only" in json.loads(body)["error"]
    thread = held(server.live.gate)
    thread.join(TIMEOUT)
    assert not thread.is_alive()


def test_a_big_control_request_is_refused_unread(server):
    connection = socket.create_connection(server.server_address, timeout=TIMEOUT)
    try:
        connection.sendall(
            b"POST /control HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\n\r\n{"
        )
        answer = connection.makefile("rb").read()
    finally:
        connection.close()
    assert answer.startswith(b"HTTP/1.0 400") and b"at most 1024 bytes" in answer


# ---- the command: flags, a port in use, Ctrl-C, and the page in a real browser ----


def test_lab_takes_trains_flags_and_a_port():
    parser = build_parser()
    args = parser.parse_args(["lab", "--dataset", "iris", "--hidden", "8", "--port", "8123"])
    assert (args.dataset, args.hidden, args.port) == ("iris", [8], 8123)
    assert parser.parse_args(["lab"]).port == 0  # a free one
    trains = {a.dest for a in parser._subparsers._group_actions[0].choices["train"]._actions}
    labs = {a.dest for a in parser._subparsers._group_actions[0].choices["lab"]._actions}
    assert labs == trains | {"port"}


def lab(*flags, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "nn", "lab", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.mark.parametrize(
    "port, said", [("70000", "a port is at most 65535, got 70000"), ("x", "'x' is not a whole")]
)
def test_a_bad_port_is_a_usage_error(tmp_path, port, said):
    process = lab("--port", port, "--out", str(tmp_path / "run"))
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 2 and "Traceback" not in err
    assert said in err.strip().splitlines()[-1] and not (tmp_path / "run").exists()


def test_a_port_in_use_is_a_usage_error_that_writes_nothing(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = lab("--port", str(port), "--out", str(tmp_path / "run"))
        out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 2 and "Traceback" not in err and out == ""
    assert err.strip().splitlines()[-1] == (
        f"gradstep lab: error: port {port} on 127.0.0.1 is in use; choose another --port, "
        "or leave it out for a free one"
    )
    assert os.listdir(tmp_path) == []


@contextmanager
def live_lab(tmp_path, *flags):
    """`gradstep lab` into tmp_path/run: (process, url) once it says its address; always ended."""
    process = lab(*flags, "--out", str(tmp_path / "run"))
    try:
        ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
        assert ready, "gradstep lab printed no address"
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found, line + process.stderr.read()
        yield process, found.group(0)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def poll(url, start=0):
    """The /steps answer of a live lab."""
    host, port = re.match(r"http://([\d.]+):(\d+)/", url).groups()
    connection = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    try:
        connection.request("GET", f"/steps?from={start}")
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def post(url, action):
    host, port = re.match(r"http://([\d.]+):(\d+)/", url).groups()
    connection = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    try:
        body = json.dumps({"action": action})
        connection.request("POST", "/control", body, {"Content-Type": "application/json"})
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def interrupt(process):
    """Ctrl-C: (exit status, stdout, stderr)."""
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=TIMEOUT)
    return process.returncode, out, err


def files_of(folder):
    metrics = json.loads((folder / "metrics.json").read_text())
    listed = {name.split("/")[0] for name in metrics["files"]}
    assert sorted(os.listdir(folder)) == sorted(listed)  # and no lock file left
    nn.load(folder / "model.json")
    return metrics


def test_ctrl_c_stops_the_training_and_writes_the_runs_files(tmp_path):
    with live_lab(tmp_path, "--dataset", "xor", "--steps", "1000") as (process, url):
        wait_until(lambda: len(poll(url)["steps"]) >= 3)
        status, out, err = interrupt(process)
    assert status == 130 and "Traceback" not in err, err
    metrics = files_of(tmp_path / "run")
    assert metrics["stop_reason"] == "interrupted" and metrics["steps"] >= 3
    assert metrics["message"] == f"interrupted after step {metrics['steps'] - 1}"
    assert f"steps     {metrics['steps']} in" in out and "interrupted after step" in out


def test_a_diverged_run_says_so_to_the_page_and_keeps_its_files(tmp_path):
    flags = ("--dataset", "sine", "--optimizer", "sgd", "--lr", "1e6")
    with live_lab(tmp_path, *flags) as (process, url):
        wait_until(lambda: poll(url)["state"] != "running")
        assert poll(url)["state"] == "diverged"
        status, out, err = interrupt(process)
    assert status == 1 and "gradstep lab: training diverged at step" in err, err
    assert "gradstep train" not in err and "Traceback" not in err
    assert files_of(tmp_path / "run")["stop_reason"] == "diverged"


class Recording:
    """Stands for the lab's recorder: its steps, and its note once it stopped recording."""

    def __init__(self, steps, note=None):
        self.steps, self.note = [{"step": k} for k in steps], note


def test_the_gate_may_hold_only_at_the_newest_recorded_step():
    assert shown_by(Recording([0, 4, 8]))(8)
    assert not shown_by(Recording([0, 4, 8]))(9) and not shown_by(Recording([0, 4, 8]))(4)
    assert not shown_by(Recording([]))(0)
    assert shown_by(Recording([0, 4], note="recording stopped at step 5: ..."))(6)


def counter_shows(step):
    """JavaScript: the page shows `step` (its counter reads 'step N  (...)')."""
    return f"document.getElementById('counter').textContent.startsWith('step {step} ')"


def test_the_live_page_gets_steps_as_they_come_and_its_buttons_drive_the_training(tmp_path):
    with live_lab(tmp_path, "--dataset", "xor", "--steps", "1000") as (process, url):
        # Held at once: compiled, the 1,000 steps take a few seconds, which starting Chromium
        # can take too; the page's own buttons then drive every move of the run.
        post(url, "pause")
        wait_until(lambda: poll(url)["held"] is not None)
        held = poll(url)["held"]
        paused = "document.getElementById('live-state').textContent === 'live: paused'"
        with Browser(tmp_path / "profile") as browser:
            browser.open(url)
            slider = "Number(document.getElementById('slider').max)"
            browser.wait_for(f"{counter_shows(held)} && {paused}")
            assert poll(url)["held"] == held  # the training waits
            browser.evaluate("document.getElementById('next').click()")  # step ▶
            wait_until(lambda: poll(url)["held"] == held + 1)
            assert [s["step"] for s in poll(url, held)["steps"]] == [held, held + 1]
            browser.wait_for(counter_shows(held + 1))
            browser.evaluate("document.getElementById('play').click()")  # ▶ resume
            browser.wait_for(f"{slider} > {held + 4}")  # steps come while it trains
            assert poll(url)["state"] == "running"
            browser.evaluate("document.getElementById('play').click()")  # ❚❚ pause
            wait_until(lambda: poll(url)["held"] is not None)
            answer = poll(url)
            again = answer["held"]
            assert answer["state"] == "paused" and answer["steps"][-1]["step"] == again > held + 3
            browser.wait_for(f"{counter_shows(again)} && {paused}")
            assert poll(url)["held"] == again  # the training waits again
            assert browser.errors() == []
        status, out, err = interrupt(process)
    assert status == 130 and "Traceback" not in err, err
    assert files_of(tmp_path / "run")["steps"] > held + 3


def test_a_page_closed_mid_run_loses_nothing(tmp_path):
    with live_lab(tmp_path, "--dataset", "xor", "--steps", "1000", "--lab") as (process, url):
        # so that the run is still going when the page opens: compiled, 60 steps could end
        # before the request arrives; 1,000 take seconds
        post(url, "pause")
        with Browser(tmp_path / "profile") as browser:
            browser.open(url)
            browser.wait_for("document.getElementById('live-state').textContent === 'live: paused'")
            browser.evaluate("document.getElementById('play').click()")  # ▶ resume
            wait_until(lambda: poll(url)["state"] == "running")
            # the browser closes, and the page with it, while the run goes on
        wait_until(lambda: poll(url)["state"] == "done")
        status, out, err = interrupt(process)
    assert status == 0 and "Traceback" not in err, err
    metrics = files_of(tmp_path / "run")
    assert metrics["steps"] == 1000 and metrics["stop_reason"] == "steps"
    assert "lab/index.html" in metrics["files"]  # --lab: the page of what was recorded live
    assert '"final":true' in (tmp_path / "run" / "lab" / "index.html").read_text()
