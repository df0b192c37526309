"""engine.viz: real `dot` renders real SVG, parsed here; frames follow backward; offline player."""

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import graphviz
import pytest
from browser import run_probe
from examples import micrograd_example

import engine
from engine import Value, topological_order
from engine.player import player_page
from engine.text import number
from engine.viz import CURRENT, LEAF, NEW_GRAD, OUTPUT, PARAM, draw_dot, render_backward

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parent.parent


def svg_nodes(svg) -> dict[str, ET.Element]:
    """Graphviz SVG: each node is <g class="node"> whose <title> is the node's id."""
    tree = ET.fromstring(svg)
    return {g.find(SVG + "title").text: g for g in tree.iter(SVG + "g") if g.get("class") == "node"}


def svg_edges(svg) -> list[str]:
    tree = ET.fromstring(svg)
    return [g.find(SVG + "title").text for g in tree.iter(SVG + "g") if g.get("class") == "edge"]


def texts(g: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in g.iter(SVG + "text")]


def fills(g: ET.Element) -> list[str]:
    return [p.get("fill") for p in g.iter(SVG + "polygon")]


def test_draw_dot_renders_every_value_with_its_label_data_and_grad():
    L, v = micrograd_example()
    L.backward()
    svg = draw_dot(L).pipe(format="svg")
    nodes = svg_nodes(svg)
    order = topological_order(L)
    for i, node in enumerate(order):
        assert texts(nodes[f"n{i}"]) == [
            node.label,
            f"data {number(node.data)}",
            f"grad {number(node.grad)}",
        ]
    assert texts(nodes["n6"]) == ["L", "data -8", "grad 1"]
    assert texts(nodes[f"n{order.index(v['a'])}"]) == ["a", "data 2", "grad 6"]
    ops = {title: texts(g) for title, g in nodes.items() if title.endswith("op")}
    assert sorted(t[0] for t in ops.values()) == ["*", "*", "+"]
    # Edges go the way data flows: operand -> op -> result.
    e, a, b = (order.index(v[k]) for k in "eab")
    assert {f"n{a}->n{e}op", f"n{b}->n{e}op", f"n{e}op->n{e}"} <= set(svg_edges(svg))
    assert len(svg_edges(svg)) == 9


def test_colours_tell_leaves_parameters_and_the_output_apart():
    L, v = micrograd_example()
    order = topological_order(L)
    nodes = svg_nodes(draw_dot(L, params=[v["a"]]).pipe(format="svg"))
    fill = {k: fills(nodes[f"n{order.index(node)}"])[0] for k, node in v.items()}
    assert fill == dict(a=PARAM, b=LEAF, c=LEAF, f=LEAF, d="#ffffff", e="#ffffff", L=OUTPUT)


def test_show_grad_false_hides_grads_and_constants_are_small_plain_nodes():
    x = Value(1.5, label="x")
    y = 2 - x * 3
    nodes = svg_nodes(draw_dot(y, show_grad=False, rankdir="TB").pipe(format="svg"))
    assert texts(nodes["n0"]) == ["x", "data 1.5"]
    constants = {title: texts(g) for title, g in nodes.items() if "k" in title}
    assert constants == {"n1k1": ["3"], "n2k0": ["2"]}
    assert not any(t.startswith("grad") for g in nodes.values() for t in texts(g))


def test_draw_dot_shows_itself_in_jupyter_as_svg():
    y = Value(2.0, label="x").tanh()
    assert isinstance(draw_dot(y), graphviz.Digraph)
    bundle = draw_dot(y)._repr_mimebundle_()
    assert "data 0.964" in bundle["image/svg+xml"]


def test_a_graph_past_max_nodes_is_refused_with_its_size_and_what_to_do():
    x = Value(1.0)
    for _ in range(1000):
        x = x + 1.0
    with pytest.raises(ValueError, match=r"1001 Values, more than max_nodes=1000.*max_nodes=1001"):
        draw_dot(x)
    # 1000 additions: each has operand -> op, constant -> op and op -> result.
    assert draw_dot(x, max_nodes=None).source.count("->") == 3000
    with pytest.raises(ValueError, match="max_nodes"):
        render_backward(x, "unused", max_nodes=10)


def test_bad_arguments_get_clear_errors():
    y = Value(1.0) * 2
    with pytest.raises(TypeError, match="root must be a Value, not float"):
        draw_dot(1.0)
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw_dot(y, rankdir="left")
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        draw_dot(y, max_nodes=0)
    with pytest.raises(TypeError, match=r"params\[1\] must be a Value"):
        draw_dot(y, params=[Value(1.0), "w"])
    with pytest.raises(ValueError, match="format must be one of"):
        render_backward(y, "unused", format="pdf")


def test_each_frame_highlights_the_next_node_of_backward_and_the_grads_it_wrote(tmp_path):
    L, v = micrograd_example()
    v["a"].grad = 100.0
    paths = render_backward(L, tmp_path / "frames")
    assert v["a"].grad == 100.0 and L.grad == 0.0  # the pass is shown, not kept
    order = topological_order(L)
    steps = list(L.backward_steps())
    frames = [p for p in paths if p.suffix == ".svg"]
    assert [p.name for p in frames] == [f"step_{i:03d}.svg" for i in range(7)]
    assert paths[-1].name == "index.html" and all(p.exists() for p in paths)
    layouts, so_far = set(), {}
    for frame, step in zip(frames, steps, strict=True):
        nodes = svg_nodes(frame.read_bytes())
        values = {t: g for t, g in nodes.items() if re.fullmatch(r"n\d+", t)}
        current = [t for t, g in values.items() if CURRENT in fills(g)]
        assert current == [f"n{order.index(step.node)}"]
        written = {t for t, g in values.items() if NEW_GRAD in fills(g)}
        assert written == {f"n{order.index(c.parent)}" for c in step.contributions}
        for c in step.contributions:  # a new grad shows the grad of this pass so far
            so_far[c.parent] = so_far.get(c.parent, 0.0) + c.amount
            grad = texts(values[f"n{order.index(c.parent)}"])[2]
            assert grad == f"grad {number(so_far[c.parent])}"
        # (a coloured cell adds a filled copy of its box: compare the set of boxes)
        layouts.add(
            frozenset(p.get("points") for g in nodes.values() for p in g.iter(SVG + "polygon"))
        )
    assert len(layouts) == 1  # one layout in every frame: only colours and numbers change


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)
            if name == "id":
                self.ids.add(value)


def test_the_player_references_every_frame_and_nothing_on_the_network(tmp_path):
    L, _ = micrograd_example()
    paths = render_backward(L, tmp_path, format="png")
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r"const DATA = (.*);\n", page).group(1))
    assert data["frames"] == [p.name for p in paths[:-1]]
    assert data["lines"] == [str(s) for s in L.backward_steps()]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths[:-1])
    links = Links()
    links.feed(page)
    assert links.urls == []  # frames are loaded by the script from DATA, by relative name
    assert {"prev", "play", "next", "slider", "line", "frame"} <= links.ids
    for word in ("http:", "https:", "//cdn", "fetch(", "XMLHttpRequest", "<link", "import "):
        assert word not in page
    assert "ArrowLeft" in page and "ArrowRight" in page


def test_render_backward_keeps_foreign_files_and_replaces_only_its_own(tmp_path):
    mine = tmp_path / "notes.txt"
    mine.write_text("keep me")
    L, _ = micrograd_example()
    with pytest.raises(FileExistsError, match="notes.txt"):
        render_backward(L, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    out = tmp_path / "out"
    render_backward(L, out)
    small = Value(2.0, label="x") * 3
    paths = render_backward(small, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    assert len(paths) == 3 and mine.read_text() == "keep me"


def test_without_dot_rendering_says_how_to_install_it_and_source_still_works(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    script = """
import sys
import graphviz
from engine import Value
from engine.viz import DotNotFoundError, draw_dot, render_backward
y = (Value(2.0, label='x') * 3).tanh()
g = draw_dot(y)
print('SOURCE', 'data 2' in g.source)
for attempt in (lambda: g.pipe(format='svg'), lambda: g._repr_mimebundle_(),
                lambda: render_backward(y, sys.argv[1])):
    try:
        attempt()
    except DotNotFoundError as error:
        print('ERROR', isinstance(error, graphviz.ExecutableNotFound), error)
"""
    env = {**os.environ, "PATH": str(empty)}
    target = tmp_path / "frames"
    run = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = run.stdout.splitlines()
    assert run.returncode == 0, run.stderr
    assert lines[0] == "SOURCE True"
    assert len(lines) == 4
    for line in lines[1:]:
        assert line.startswith("ERROR True")
        assert "apt-get install graphviz" in line and "./dev test" in line
    assert not target.exists()


def test_make_figures_draws_the_docs_with_the_projects_own_code(tmp_path):
    run = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "make_figures.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    nodes = svg_nodes((tmp_path / "graph.svg").read_bytes())
    assert ["a", "data 2", "grad 6"] in [texts(g) for g in nodes.values()]
    assert (tmp_path / "backward" / "index.html").exists()
    assert len(list((tmp_path / "backward").glob("step_*.svg"))) == 7
    network = svg_nodes((tmp_path / "network.svg").read_bytes())
    assert {"x0", "x1", "l1n0", "l2n15", "l3n0"} <= set(network)
    png = (tmp_path / "lab.png").read_bytes()  # the lab page, in a 1280×900 window
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[16:24] == (1280).to_bytes(4) + (900).to_bytes(4)


def test_names_in_pictures_are_the_names_in_steps():
    x = Value(0.5)
    y = engine.sum([x * 2, x.exp(), 1.0])
    nodes = svg_nodes(draw_dot(y).pipe(format="svg"))
    named = {texts(g)[0] for t, g in nodes.items() if re.fullmatch(r"n\d+", t)}
    in_steps = {str(s).split()[0] for s in y.backward_steps()}
    assert named == in_steps == {"v0", "v1", "v2", "v3"}


def test_labels_with_markup_characters_are_drawn_as_plain_text():
    x = Value(1.0, label='<x & "y">')
    nodes = svg_nodes(draw_dot(x * 2).pipe(format="svg"))
    assert texts(nodes["n0"])[0] == '<x & "y">'


PROBE = """<script>
(function () {
  const out = [];
  const counter = () => document.getElementById("counter").textContent;
  const key = (k) => document.dispatchEvent(new KeyboardEvent("keydown", {key: k}));
  key("ArrowRight"); out.push(counter());
  document.getElementById("next").click(); out.push(counter());
  key("ArrowLeft"); out.push(counter());
  const slider = document.getElementById("slider");
  slider.value = "5"; slider.dispatchEvent(new Event("input")); out.push(counter());
  key("End"); out.push(document.getElementById("line").textContent);
  key("Home"); document.getElementById("play").click();
  setTimeout(function () {
    const img = document.getElementById("frame");
    out.push(counter() + " " + img.getAttribute("src") + " " + (img.naturalWidth > 0));
    document.body.setAttribute("data-probe", out.join("|"));
  }, 2000);
})();
</script>
</body>"""


def probed(folder: Path, probe: str, profile: Path) -> list[str]:
    """Open folder/index.html with `probe` added in headless Chromium; what the probe recorded.

    The probe script puts its findings, joined by `|`, in the body's `data-probe` attribute.
    """
    assert shutil.which("chromium"), "./dev test installs Chromium (Debian package chromium)"
    page = (folder / "index.html").read_text(encoding="utf-8")
    path = folder / "probe.html"
    path.write_text(page.replace("</body>", probe), encoding="utf-8")
    # Flags that keep Chromium off the network: the page must work with none.
    offline = [
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ]
    run = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            *offline,
            "--virtual-time-budget=5000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r'data-probe="([^"]*)"', run.stdout)
    assert found, run.stderr[-2000:]
    return html.unescape(found.group(1)).split("|")


def test_the_player_plays_in_a_real_browser_from_the_file_system(tmp_path):
    L, _ = micrograd_example()
    render_backward(L, tmp_path / "player")
    assert probed(tmp_path / "player", PROBE, tmp_path / "profile") == [
        "step 2 / 7",
        "step 3 / 7",
        "step 2 / 7",
        "step 6 / 7",
        "a   dL/da = 6   (leaf)",
        "step 3 / 7 step_002.svg true",  # played from step 1 for 2 s at 0.9 s a step
    ]


# ---- labels are text: any string is drawn as its characters and changes nothing else ----

XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
HOSTILE = [
    "<h> * <w>",
    "C:\\data\\",
    'say "hi"',
    "back\\slash \\n \\l \\",
    "two\nlines",
    "<!--<script>",
    '"; x -> y [URL="javascript:alert(1)"]; "',
    "\\N \\G \\E \\L \\H \\T",
    "&amp; &#92; &lt;b&gt;",
    "</td></tr></table>>, URL=<javascript:alert(1)",
]


def hostile_graph(label: str):
    """x * w + 1 with `label` on x: n0 is x, n1 w, n2 the product p, n3 the output."""
    x, w = Value(1.5, label=label), Value(-2.0, label="w")
    p = x * w
    p.label = "p"
    return p + 1.0


def tooltips(svg) -> dict[str, str]:
    return {
        title: next(a.get(XLINK_TITLE) for a in g.iter() if a.get(XLINK_TITLE) is not None)
        for title, g in svg_nodes(svg).items()
        if re.fullmatch(r"n\d+", title)
    }


@pytest.mark.parametrize("label", HOSTILE)
def test_any_label_is_drawn_as_its_characters_and_adds_no_node_edge_or_link(label):
    drawing = draw_dot(hostile_graph(label))
    svg = drawing.pipe(format="svg")
    plain = draw_dot(hostile_graph("x"))
    expected = plain.pipe(format="svg")
    # dot read the same graph: the same nodes and edges, nothing injected
    assert set(svg_nodes(svg)) == set(svg_nodes(expected))
    assert sorted(svg_edges(svg)) == sorted(svg_edges(expected))
    assert drawing.source.count("\n") == plain.source.count("\n")  # one statement a line
    # its characters: a line of the box per line of the label, the tooltip whole
    name_cell = texts(svg_nodes(svg)["n0"])[:-2]
    assert "\n".join(name_cell) == label
    assert tooltips(svg) == {"n0": label, "n1": "w", "n2": f"p = {label} * w", "n3": "v3 = p + 1"}
    tree = ET.fromstring(svg)
    assert not [k for e in tree.iter() for k in e.attrib if k.endswith("href")]


def test_labels_with_characters_no_picture_can_hold_are_drawn_as_their_symbols(tmp_path):
    # control characters cannot be in an SVG file: they are drawn as ␀, ␉, ...; a lone
    # surrogate cannot be encoded at all: it is drawn as U+FFFD
    x = Value(1.0, label="tab\there\x00\x1b\ud800")
    svg = draw_dot(x * 2).pipe(format="svg")
    assert texts(svg_nodes(svg)["n0"])[0] == "tab␉here␀␛\ufffd"
    assert tooltips(svg)["n0"] == "tab␉here␀␛\ufffd"
    paths = render_backward(x * 2, tmp_path)  # the page embeds the label too
    page = paths[-1].read_text(encoding="utf-8")
    data = json.loads(re.search(r"const DATA = (.*);\n", page).group(1))
    label = x.label
    assert data["lines"][-1] == f"{label}   dv1/d{label} = 2   (leaf)"


PLAYER_PROBE = """<script>
(function () {
  const out = [];
  const text = (id) => document.getElementById(id).textContent;
  out.push(text("counter"), text("line"), document.title);
  document.dispatchEvent(new KeyboardEvent("keydown", {key: "End"}));
  out.push(text("counter"), text("line"));
  setTimeout(function () {
    const img = document.getElementById("frame");
    out.push(img.getAttribute("src") + " " + (img.naturalWidth > 0));
    document.body.setAttribute("data-probe", out.join("|"));
  }, 500);
})();
</script>
</body>"""


ZOOM_PROBE = """<script>
(function () {
  const out = {};
  const img = document.getElementById("frame");
  const view = document.getElementById("view");
  const key = (k) => document.dispatchEvent(new KeyboardEvent("keydown", {key: k}));
  const scale = () => Number(/scale\\(([^)]+)\\)/.exec(img.style.transform)[1]);
  const at = (name) => { out[name] = {t: img.style.transform, s: scale()}; };
  setTimeout(function () {
    at("fit");
    out.view = [view.clientWidth, view.clientHeight];
    out.natural = [img.naturalWidth, img.naturalHeight];
    const box = view.getBoundingClientRect();
    view.dispatchEvent(new WheelEvent("wheel", {deltaY: -200, bubbles: true, cancelable: true,
      clientX: box.left + 50, clientY: box.top + 40}));
    at("wheel");
    key("+"); at("plus");
    key("-"); key("-"); at("minus");
    const drag = (type, x, y) => view.dispatchEvent(new PointerEvent(type,
      {clientX: x, clientY: y, bubbles: true, pointerId: 1}));
    drag("pointerdown", 300, 300); drag("pointermove", 340, 270); drag("pointerup", 340, 270);
    at("dragged");
    key("ArrowRight");
    setTimeout(function () {
      at("stepped");
      out.counter = document.getElementById("counter").textContent;
      out.src = img.getAttribute("src");
      key("0"); at("refit");
      document.body.setAttribute("data-probe", JSON.stringify(out));
    }, 800);
  }, 1500);
})();
</script>
</body>"""


def test_no_label_can_blank_the_player_page(tmp_path):
    L, v = micrograd_example()
    v["a"].label = "<!--<script>"
    v["b"].label = "</script><script>document.body.innerHTML = ''</script>"
    v["c"].label = "C:\\data\\ \u2028"
    L.label = '<h> * <w> "L"'
    render_backward(L, tmp_path / "player")
    lines = [str(step) for step in L.backward_steps()]
    page = (tmp_path / "player" / "index.html").read_text(encoding="utf-8")
    embedded = re.search(r"const DATA = (.*);\n", page).group(1)
    assert "<" not in embedded  # data, never markup
    seen = probed(tmp_path / "player", PLAYER_PROBE, tmp_path / "profile")
    assert seen == [
        "step 1 / 7",
        lines[0],
        f"backward pass of {L.label} = d * f",
        "step 7 / 7",
        lines[-1],
        "step_006.svg true",
    ]


def test_render_backward_clears_the_temp_files_of_its_own_crashed_writes(tmp_path):
    out = tmp_path / "frames"
    L, _ = micrograd_example()
    render_backward(L, out)
    # What engine.files.write_atomic leaves when the process dies between write and rename:
    for name in ("step_003.svg", "index.html", "step_0012.png"):
        fd, _ = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
    paths = render_backward(L, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    # a file of someone else's that only looks a little like ours is still refused
    (out / ".notes.txt.tmp").write_text("mine")
    with pytest.raises(FileExistsError, match=r"\.notes\.txt\.tmp"):
        render_backward(L, out)
    assert (out / ".notes.txt.tmp").read_text() == "mine"


def test_the_player_fits_zooms_and_pans_and_keeps_the_view_while_stepping(tmp_path):
    L, _ = micrograd_example()
    render_backward(L, tmp_path / "player")
    out = run_probe(tmp_path / "player" / "index.html", ZOOM_PROBE, tmp_path)
    # fitted: the frame fills the view's width or its height, not a strip of it
    (vw, vh), (w, h) = out["view"], out["natural"]
    fit = out["fit"]["s"]
    assert vw > 600 and vh > 300
    assert min(abs(w * fit - vw), abs(h * fit - vh)) < 1 or fit == 2
    assert out["wheel"]["s"] > fit  # the wheel zooms in where it points
    assert out["plus"]["s"] == pytest.approx(out["wheel"]["s"] * 1.25, rel=1e-4)
    assert out["minus"]["s"] == pytest.approx(out["plus"]["s"] / 1.25**2, rel=1e-4)
    assert out["dragged"]["s"] == out["minus"]["s"] and out["dragged"]["t"] != out["minus"]["t"]
    # a step shows the next frame with the zoom and pan as they were
    assert out["counter"] == "step 2 / 7" and out["src"] == "step_001.svg"
    assert out["stepped"]["t"] == out["dragged"]["t"]
    assert out["refit"] == out["fit"]  # 0 fits again


def test_the_players_data_cannot_end_its_script(tmp_path):
    page = player_page("</script><b>", ["a.svg"], ["<!-- x < y"])
    embedded = re.search(r"const DATA = (.*);\n", page).group(1)
    assert "<" not in embedded  # no data can close the script or open a comment
    data = json.loads(re.search(r"const DATA = (.*);\n", page).group(1))
    assert data["title"] == "</script><b>" and data["lines"] == ["<!-- x < y"]
    with pytest.raises(ValueError, match=r"one line \(and focus\) per frame"):
        player_page("t", ["a.svg", "b.svg"], ["one"])
