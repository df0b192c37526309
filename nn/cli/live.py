"""The live lab's web server: the page and its data on 127.0.0.1, and nothing else.

It answers exactly three requests: `GET /` (the lab page, with the script that makes it live),
`GET /steps?from=N` (the steps recorded from index N on, the run's state and the step it is
held at, if it is, as JSON) and
`POST /control` (`{"action": "pause" | "step" | "resume"}`); anything else is a 404 (but the
favicon every browser asks for: 204, no content), so no file is ever served from disk and
there is no listing. It listens on the loopback address only, and
answers only requests addressed to a loopback name (no DNS rebinding) and, for `/control`,
JSON from the page itself (a cross-site form or fetch cannot pause a run).
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from nn.cli.gate import Gate
from nn.cli.outputs import finite
from nn.train.lab import lab_page

HOST = "127.0.0.1"
LOCAL_NAMES = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 1024  # bytes of a /control request: {"action": "resume"} is 20
PAGE_WAIT = 60.0  # seconds GET / waits for training to begin (the recorder's meta is set then)

# Replaces /*LIVE*/ in the page's script: the page polls the run and its buttons drive it.
LIVE_SCRIPT = """window.LAB_LIVE = (function () {
  function answer(response) {
    if (!response.ok) throw new Error('gradstep lab answered ' + response.status);
    return response.json();
  }
  return {
    poll: function (from) {
      return fetch('/steps?from=' + from, {cache: 'no-store'}).then(answer);
    },
    control: function (action) {
      return fetch('/control', {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({action: action})
      }).then(answer);
    }
  };
})();"""


class LiveRun:
    """What the server shows of a run that trains behind it: its recorder's data, its gate."""

    def __init__(self, recorder: Any, gate: Gate) -> None:
        self.recorder = recorder
        self.gate = gate
        self.finished = threading.Event()  # set when the training thread is over, files written
        self._encoded: list[str] = []  # each step as JSON, encoded once
        self._lock = threading.Lock()

    def over(self) -> None:
        """The training thread is over (its files written, or it failed)."""
        self.finished.set()
        self.gate.began.set()  # a run that failed to begin: no page waits for it

    @property
    def state(self) -> str:
        """'running', 'paused', 'done' or 'diverged' (a run that failed is 'done')."""
        if self.finished.is_set() and not self.gate.ended.is_set():
            return "done"
        return self.gate.state

    def page(self) -> str:
        """The lab page with the live script, and the run's meta once training has begun."""
        self.gate.began.wait(PAGE_WAIT)
        return lab_page(self.recorder.meta, [], LIVE_SCRIPT)

    def steps_json(self, start: int) -> bytes:
        """`{"steps": [from start on], "state": ..., "held": ..., "meta": ...}`; meta only with
        the first poll (start 0) and once the run is over, as it does not change in between."""
        state, held = self.state, self.gate.holding  # read first: the steps are in by now
        with self._lock:
            recorded = self.recorder.steps
            self._encoded += [_json(step) for step in recorded[len(self._encoded) : len(recorded)]]
            chunk = self._encoded[start:]
        meta = ""
        if start == 0 or state in ("done", "diverged"):
            meta = ',"meta":' + _json(self.recorder.meta)
        head = f'{{"steps":[{",".join(chunk)}],"state":"{state}","held":{_json(held)}'
        return (head + meta + "}").encode()


def _json(data: Any) -> str:
    """Compact JSON, with NaN and infinities as null (JSON has no such numbers)."""
    return json.dumps(finite(data), separators=(",", ":"), allow_nan=False)


class LabServer(ThreadingHTTPServer):
    """The live lab's HTTP server on 127.0.0.1:`port` (0: a free port); `live` is its run."""

    daemon_threads = True

    def __init__(self, port: int, live: LiveRun | None = None) -> None:
        super().__init__((HOST, port), LabHandler)
        self.live = live

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A page closed in the middle of an answer is no error to report."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LabHandler(BaseHTTPRequestHandler):
    """Answers GET /, GET /steps?from=N and POST /control; 404 for anything else."""

    server: LabServer
    server_version = "gradstep-lab"
    sys_version = ""
    timeout = 30  # seconds a connection may stay silent

    def do_GET(self) -> None:
        if not self._addressed_here():
            return
        url = urlsplit(self.path)
        live = self.server.live
        if url.path == "/":
            self._send(200, "text/html; charset=utf-8", live.page().encode("utf-8"))
        elif url.path == "/steps":
            try:
                start = _start(url.query)
            except ValueError as error:
                self._send_error(400, str(error))
                return
            self._send(200, "application/json", live.steps_json(start))
        elif url.path == "/favicon.ico":
            self._send(204, "image/x-icon", b"")  # no icon: the browser asks on its own
        else:
            self._send_error(404, "not found: the lab serves only /, /steps and /control")

    def do_POST(self) -> None:
        if not self._addressed_here():
            return
        if urlsplit(self.path).path != "/control":
            self._send_error(404, "not found: the lab serves only /, /steps and /control")
            return
        try:
            action = self._action()
            self.server.live.gate.control(action)
        except ValueError as error:
            self._send_error(400, str(error))
            return
        self._send(200, "application/json", json.dumps({"state": self.server.live.state}).encode())

    def _addressed_here(self) -> bool:
        """True for a request to a loopback name, from no other site; else answer 403."""
        host = self.headers.get("Host")
        origin = self.headers.get("Origin")
        if host is not None and _hostname(host) not in LOCAL_NAMES:
            self._send_error(403, f"the lab answers requests to {HOST} only, not to {host}")
            return False
        if origin is not None and _hostname(origin, "") not in LOCAL_NAMES:
            self._send_error(403, f"the lab answers its own page only, not {origin}")
            return False
        return True

    def _action(self) -> str:
        """The action of a /control request: JSON {"action": ...}; ValueError if it is not."""
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise ValueError('send JSON (Content-Type: application/json): {"action": "pause"}')
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise ValueError("a /control request needs its Content-Length") from None
        if not 0 <= length <= MAX_BODY:
            raise ValueError(f"a /control request holds at most {MAX_BODY} bytes, not {length}")
        try:
            body = json.loads(self.rfile.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError('the body must be JSON such as {"action": "pause"}') from None
        if not isinstance(body, dict) or not isinstance(body.get("action"), str):
            raise ValueError('the body must be JSON such as {"action": "pause"}')
        return body["action"]

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, status: int, message: str) -> None:
        self._send(status, "application/json", json.dumps({"error": message}).encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows the training, not every poll


def _hostname(address: str, scheme: str = "//") -> str | None:
    """The host name in a Host header (`127.0.0.1:8000`) or an Origin (`http://...`)."""
    try:
        return urlsplit(scheme + address).hostname
    except ValueError:
        return None


def _start(query: str) -> int:
    """The `from` of /steps?from=N: a whole number >= 0 (0 when not given)."""
    values = parse_qs(query, keep_blank_values=True).get("from", ["0"])
    text = values[-1]
    if len(values) != 1 or not text.isdigit() or not text.isascii():
        raise ValueError(f"from must be one whole number >= 0, such as from=12; got {values}")
    return int(text)
