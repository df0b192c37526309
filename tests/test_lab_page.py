"""The lab page in a real browser: headless Chromium, from file://, with no network at all."""

import html
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

from browser import HEADLESS

import nn
from nn.data import load_iris, make_moons, make_sine, train_test_split
from nn.train import fit
from nn.train.lab import LabRecorder, lab_page, write_lab
from nn.train.labpage import embed

HOSTILE = "<script>alert(1)</script>"

# Installed before the page's own script: every error the page meets is kept for the probe.
ERRORS = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push(String(e.message)); });
(function () {
  const real = console.error;
  console.error = function () {
    window.__errors.push(Array.prototype.join.call(arguments, " "));
    return real.apply(console, arguments);
  };
})();
</script>"""


def browse(page: Path, probe: str, tmp_path: Path) -> dict:
    """Open `page` with `probe` added in headless Chromium, offline; what the probe reported
    (JSON in the body's data-probe attribute)."""
    assert shutil.which("chromium"), "./dev test installs Chromium (Debian package chromium)"
    text = page.read_text(encoding="utf-8")
    probed = page.with_name("probe.html")
    probed.write_text(
        text.replace("<head>", "<head>" + ERRORS, 1).replace("</body>", probe + "</body>", 1),
        encoding="utf-8",
    )
    run = subprocess.run(
        [
            *HEADLESS,
            "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: no network
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=8000",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    found = re.search(r'data-probe="([^"]*)"', run.stdout)
    assert found, run.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


STATE = """
  const $ = (id) => document.getElementById(id);
  const state = () => ({
    counter: $("counter").textContent,
    network: $("network-title").textContent,
    story: $("story-title").textContent,
    storyText: $("story").textContent,
    health: Array.from(document.querySelectorAll("#health td")).map((td) => td.textContent),
    readout: $("readout").textContent,
    cursor: document.querySelector("#cursor").getAttribute("x1"),
    nodes: Array.from(document.querySelectorAll("#network rect > title")).map((t) => t.textContent),
    edges: document.querySelectorAll("#network line").length,
    curves: document.querySelectorAll("#curves polyline").length,
    banner: $("banner").hidden ? "" : $("banner").textContent,
  });
"""


def moons_page(tmp_path: Path, n_steps: int = 12) -> tuple[LabRecorder, Path]:
    X, y = make_moons(40, noise=0.1, seed=3)
    model = nn.MLP(2, [6, 5, 1], init="micrograd", seed=3)
    rec = LabRecorder(name=HOSTILE, class_names=[HOSTILE, "b"])
    fit(model, X, y, loss="hinge", lr=0.3, l2=1e-4, steps=n_steps, callbacks=[rec], progress=False)
    return rec, write_lab(tmp_path, rec)


RECORDED = (
    """<script>
(function () {
  const out = {};"""
    + STATE
    + """
  const colours = () => {
    const ctx = document.querySelector("#learnt canvas").getContext("2d"), seen = new Set();
    for (let i = 0; i < 10; i++) { for (let j = 0; j < 10; j++) {
      seen.add(ctx.getImageData(16 + 32 * i, 16 + 32 * j, 1, 1).data.join(",")); } }
    return seen.size;
  };
  out.title = document.title; out.h1 = $("title").textContent;
  out.legend = $("learnt-legend").textContent;
  out.first = state(); out.colours = colours();
  const slider = $("slider");
  slider.value = "6"; slider.dispatchEvent(new Event("input"));
  out.moved = state();
  const canvas = document.querySelector("#learnt canvas"), box = canvas.getBoundingClientRect();
  canvas.dispatchEvent(new MouseEvent("click", {clientX: box.left + 1, clientY: box.top + 1}));
  out.clicked = state();
  document.querySelector("input[name=edges][value=g]").click();
  out.gradients = $("network-legend").textContent;
  $("next").click(); out.next = $("counter").textContent;
  out.errors = window.__errors;
  document.body.setAttribute("data-probe", JSON.stringify(out));
})();
</script>"""
)


def node_values(titles: list[str]) -> dict[str, float]:
    """'L1.N3 = 0.4812; bias ...' -> {'L1.N3': 0.4812}: the values the picture shows."""
    found = {}
    for title in titles:
        name, value = re.match(r"(\S+) = (\S+?)(;|$)", title).group(1, 2)
        found[name] = float(value)
    return found


def test_the_recorded_page_renders_every_panel_and_moves_them_together(tmp_path):
    rec, page = moons_page(tmp_path)
    out = browse(page, RECORDED, tmp_path)
    assert out["errors"] == []
    # names are text: the hostile label shows as its characters
    assert out["title"] == out["h1"] == f"gradstep lab: {HOSTILE}"
    assert HOSTILE in out["legend"]
    first, moved = out["first"], out["moved"]
    # every panel: 2 + 6 + 5 + 1 neurons, 2·6 + 6·5 + 5·1 weights, three curves, the
    # boundary shaded, the story's four stages, a row per layer
    assert len(first["nodes"]) == 14 and first["edges"] == 47 and first["curves"] == 3
    assert out["colours"] >= 3
    assert all(word in first["storyText"] for word in ("forward", "loss", "backward", "update"))
    assert len(first["health"]) == 3 * 4
    # the slider moves every panel to step 6
    assert first["counter"].startswith("step 0 ") and moved["counter"].startswith("step 6 ")
    assert "step 6" in moved["network"] and "step 6" in moved["story"]
    assert moved["readout"].startswith("step 6: loss")
    for key in ("nodes", "health", "storyText", "cursor", "readout"):
        assert moved[key] != first[key], key
    # the page's arithmetic is the engine's: example 0's activations at step 6
    shown = node_values(moved["nodes"])
    engine = rec.steps[6]["checks"]["0"]
    for k, layer in enumerate(engine, start=1):
        for j, value in enumerate(layer):
            assert abs(shown[f"L{k}.N{j}"] - value) <= 1e-3 * max(1.0, abs(value)), (k, j)
    # a click selects the point nearest to it: here the top-left corner of the plot
    X = rec.meta["examples"]["X"]
    xs, ys = [p[0] for p in X], [p[1] for p in X]

    def padded(lo, hi):
        return lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)

    (x0, x1), (y0, y1) = padded(min(xs), max(xs)), padded(min(ys), max(ys))
    nearest = min(
        range(len(X)),
        key=lambda k: ((xs[k] - x0) / (x1 - x0)) ** 2 + ((y1 - ys[k]) / (y1 - y0)) ** 2,
    )
    assert nearest != 0 and out["clicked"]["story"].startswith(f"Example #{nearest} ")
    assert f"for example #{nearest}" in out["clicked"]["network"]
    assert out["clicked"]["nodes"] != moved["nodes"]
    assert "dL/dw" in out["gradients"]
    assert out["next"].startswith("step 7 ")


DIVERGED = (
    """<script>
(function () {
  const out = {};"""
    + STATE
    + """
  out.opened = state();
  document.dispatchEvent(new KeyboardEvent("keydown", {key: "End"}));
  out.end = state();
  out.errors = window.__errors;
  document.body.setAttribute("data-probe", JSON.stringify(out));
})();
</script>"""
)


def test_a_diverged_run_shows_the_step_where_it_diverged_and_the_weights_it_kept(tmp_path):
    X, y = make_sine(n_samples=20, seed=0)
    model = nn.MLP(1, [4, 1], seed=0)
    rec = LabRecorder(name="sine")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit(model, X, y, optimizer="sgd", lr=1e6, steps=50, callbacks=[rec], progress=False)
    at = rec.meta["end"]["diverged_at"]
    out = browse(write_lab(tmp_path, rec), DIVERGED, tmp_path)
    assert out["errors"] == []
    assert f"diverged at step {at}" in out["opened"]["banner"]
    assert "the weights the run kept" in out["opened"]["banner"]
    end = out["end"]
    assert end["counter"].startswith(f"step {at}: diverged")
    assert f"the model kept the weights of step {at - 1}" in end["storyText"]
    assert "these are the weights the run kept" in " ".join(end["health"])
    assert f"The network at step {at}: diverged" in end["network"]


CHOOSER = (
    """<script>
(function () {
  const out = {};"""
    + STATE
    + """
  out.table = Array.from(document.querySelectorAll("#confusion tr")).map(
    (tr) => Array.from(tr.children).map((c) => c.textContent));
  out.buttons = document.querySelectorAll("#chooser button").length;
  out.first = state();
  document.querySelectorAll("#chooser button")[3].click();
  out.chosen = state();
  out.on = Array.from(document.querySelectorAll("#chooser button")).map((b) => b.className);
  const slider = $("slider");
  slider.value = String(window.UNSCORED); slider.dispatchEvent(new Event("input"));
  out.unscored = $("learnt-title").textContent;
  out.errors = window.__errors;
  document.body.setAttribute("data-probe", JSON.stringify(out));
})();
</script>"""
)


def test_choosing_an_example_of_other_data_changes_the_one_explained(tmp_path):
    X, y = load_iris()
    X, X_val, y, y_val = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
    rec = LabRecorder(X_val, y_val, name="iris", class_names=["setosa", "versicolor", HOSTILE])
    fit(nn.MLP(4, [8, 3], seed=0), X, y, optimizer="adam", lr=0.01, steps=40, callbacks=[rec])
    unscored = next(i for i, s in enumerate(rec.steps) if s["val_loss"] is None)
    probe = CHOOSER.replace("<script>", f"<script>window.UNSCORED = {unscored};", 1)
    out = browse(write_lab(tmp_path, rec), probe, tmp_path)
    assert out["errors"] == []
    assert out["table"][0] == ["", "setosa", "versicolor", HOSTILE]
    assert [row[0] for row in out["table"][1:]] == ["setosa", "versicolor", HOSTILE]
    assert out["buttons"] == len(rec.meta["examples"]["index"]) == 12
    chosen = rec.meta["examples"]["index"][3]
    assert out["first"]["story"].startswith(f"Example #{rec.meta['examples']['index'][0]} ")
    assert out["chosen"]["story"].startswith(f"Example #{chosen} (held-out set")
    assert out["on"][3] == "on" and out["on"].count("on") == 1
    # at a step where the held-out set was not scored, its latest matrix, and when it was
    scored = rec.steps[unscored - 1]["step"]
    assert out["unscored"] == f"Confusion matrix on the held-out set, scored at step {scored}"


FAKE_LIVE = """window.LAB_LIVE = (function () {
  const all = __STEPS__, end = __END__, calls = [];
  let polls = 0;
  window.__live = { calls: calls, polls: function () { return polls; } };
  return {
    poll: function (from) {
      polls += 1;
      const chunk = all.slice(from, from + 3), done = from + chunk.length >= all.length;
      return Promise.resolve({ steps: chunk, state: done ? "diverged" : "running",
                               meta: done ? { end: end } : undefined });
    },
    control: function (action) { calls.push(action); return Promise.resolve({}); },
  };
})();"""

LIVE = (
    """<script>
(function () {
  const out = {};"""
    + STATE
    + """
  const later = (ms, fn) => setTimeout(fn, ms);
  later(100, function () {
    out.following = state();
    const slider = $("slider");
    slider.value = "0"; slider.dispatchEvent(new Event("input"));
    out.pinned = state();
  });
  later(1000, function () {
    out.stayed = state(); out.max = $("slider").max;
    $("play").click();
  });
  later(1100, function () {
    out.paused = $("play").textContent;
    $("play").click();
    $("next").click();
  });
  later(2500, function () { out.polls = window.__live.polls(); });
  later(3500, function () {
    out.pollsLater = window.__live.polls();
    out.calls = window.__live.calls;
    out.done = state(); out.max2 = $("slider").max;
    out.errors = window.__errors;
    document.body.setAttribute("data-probe", JSON.stringify(out));
  });
})();
</script>"""
)


def test_the_live_page_appends_polled_steps_follows_the_newest_and_controls_training(tmp_path):
    rec, _ = moons_page(tmp_path, n_steps=12)
    all_steps = [dict(s) for s in rec.steps]
    all_steps[-1]["diverged"] = True
    end = {"reason": "diverged", "message": "training diverged at step 12: a test", "steps": 12,
           "diverged_at": 12, "kept": 11}  # fmt: skip
    meta = {**rec.meta, "end": None}
    script = FAKE_LIVE.replace("__STEPS__", embed(all_steps)).replace("__END__", embed(end))
    page = tmp_path / "live" / "index.html"
    page.parent.mkdir()
    page.write_text(lab_page(meta, [], live_script=script), encoding="utf-8")
    out = browse(page, LIVE, tmp_path)
    assert out["errors"] == []
    # it follows the newest step as steps arrive (3 per poll, every 300 ms)...
    assert out["following"]["counter"].startswith("step 2 (3 of 3 recorded)")
    # ...until the slider is moved: then it stays, while the steps keep arriving
    assert out["pinned"]["counter"].startswith("step 0 ")
    assert out["stayed"]["counter"].startswith("step 0 ") and int(out["max"]) >= 8
    # play/pause and step drive the training, not the replay
    assert out["paused"] == "▶ resume"
    assert out["calls"] == ["pause", "resume", "step"]
    # a finished run stops the polling; its end (here a divergence) is shown
    assert out["polls"] == out["pollsLater"] == 5 and out["max2"] == "12"
    assert "Training diverged at step 12: a test" in out["done"]["banner"]


def test_the_page_needs_nothing_from_the_network(tmp_path):
    _, page = moons_page(tmp_path, n_steps=2)
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "fetch(" not in text and "XMLHttpRequest" not in text and "import(" not in text
