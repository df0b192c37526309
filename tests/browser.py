"""Driving a page in the headless Chromium that `./dev test` installs, offline."""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

# Headless Chromium that stays off the network and out of the user's profile; callers add
# --user-data-dir and what they need (a resolver rule, a time budget, --dump-dom, a pipe).
HEADLESS = [
    "chromium",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=1280,900",
]


def run_probe(page: Path, probe: str, tmp_path: Path) -> dict:
    """Open `page` with `probe` in headless Chromium; what the probe put in data-probe."""
    assert shutil.which("chromium"), "./dev test installs Chromium (Debian package chromium)"
    probed = page.with_name("probe.html")
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", probe), encoding="utf-8")
    run = subprocess.run(
        [
            *HEADLESS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=6000",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r'data-probe="([^"]*)"', run.stdout)
    assert found, run.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))
