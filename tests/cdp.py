"""A live page in the headless Chromium that `./dev test` installs, driven over DevTools.

`run_probe` (browser.py) reads a page once it settles; a page that talks to a running server
needs real time and a conversation instead: load it, click, wait for what it shows, read its
console. This speaks the Chrome DevTools Protocol over `--remote-debugging-pipe` (JSON
messages ending in NUL on file descriptors 3 and 4), so it needs no package. Every wait is
bounded; the network is blocked for every host but 127.0.0.1.
"""

import json
import os
import select
import shutil
import subprocess
import time

from browser import HEADLESS

TIMEOUT = 60.0  # seconds any one answer or wait may take


class Browser:
    """Headless Chromium with one page; use as a context manager so it is always closed."""

    def __init__(self, profile):
        assert shutil.which("chromium"), "./dev test installs Chromium (Debian package chromium)"
        to_chrome, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome = os.pipe()

        def pipes_as_3_and_4():  # in the child, before exec: where Chromium looks for them
            os.dup2(to_chrome, 3)
            os.dup2(from_chrome, 4)

        self.process = subprocess.Popen(
            [
                *HEADLESS,
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=pipes_as_3_and_4,
        )
        os.close(to_chrome)
        os.close(from_chrome)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=self.session)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Close the browser (and with it the page); kill it if it does not go."""
        if self.process.poll() is None:
            try:
                self.send("Browser.close")
            except (OSError, AssertionError):
                pass
            try:
                self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Call a DevTools method and return its result; events that come meanwhile are kept."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._next_id:
                assert "error" not in answer, f"{method}: {answer['error']}"
                return answer.get("result", {})
            if "method" in answer:
                self.events.append(answer)

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            assert left > 0, "Chromium did not answer in time"
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 16)
                assert chunk, "Chromium closed the DevTools pipe"
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str) -> None:
        """Load `url` in the page and wait until its document is complete."""
        self.send("Page.navigate", {"url": url}, self.session)
        self.wait_for("document.readyState === 'complete'")

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (a promise is awaited)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            self.session,
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, condition: str, timeout: float = TIMEOUT):
        """Wait until the JavaScript `condition` is truthy in the page; return its value."""
        said = json.dumps("timed out waiting for " + condition)
        return self.evaluate(
            f"""new Promise((resolve, reject) => {{
                const deadline = Date.now() + {int(timeout * 1000)};
                const check = () => {{
                    let value;
                    try {{ value = ({condition}); }} catch (e) {{ value = undefined; }}
                    if (value) resolve(value);
                    else if (Date.now() > deadline) reject(new Error({said}));
                    else setTimeout(check, 50);
                }};
                check();
            }})"""
        )

    def errors(self) -> list[str]:
        """What the page said on its console as errors, and the exceptions it threw."""
        self.send("Runtime.evaluate", {"expression": "0"}, self.session)  # collect what came
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"])[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args"))[:500])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(
                    (params["entry"].get("text", "") + " " + params["entry"].get("url", ""))[:500]
                )
        return found
