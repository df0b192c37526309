"""Reading the SVG that real Graphviz writes: nodes, edges, texts, colours, sizes, font sizes."""

import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
PX_PER_PT = 96 / 72  # CSS: 1pt = 1/72 in, 1px = 1/96 in


def svg_nodes(svg) -> dict[str, ET.Element]:
    """Graphviz SVG: each node is <g class="node"> whose <title> is the node's id."""
    tree = ET.fromstring(svg)
    return {g.find(SVG + "title").text: g for g in tree.iter(SVG + "g") if g.get("class") == "node"}


def svg_edges(svg) -> dict[str, ET.Element]:
    """Each edge is <g class="edge"> whose <title> is 'tail->head'."""
    tree = ET.fromstring(svg)
    return {g.find(SVG + "title").text: g for g in tree.iter(SVG + "g") if g.get("class") == "edge"}


def edge_count(svg) -> int:
    tree = ET.fromstring(svg)
    return sum(1 for g in tree.iter(SVG + "g") if g.get("class") == "edge")


def texts(g: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in g.iter(SVG + "text")]


def fills(g: ET.Element) -> list[str]:
    return [p.get("fill") for p in g.iter(SVG + "polygon")]


def size_px(svg) -> tuple[float, float]:
    """The picture's width and height in CSS pixels, from the root's pt sizes."""
    root = ET.fromstring(svg)
    return tuple(float(root.get(k).removesuffix("pt")) * PX_PER_PT for k in ("width", "height"))


def font_sizes(svg) -> list[float]:
    """The font size of every text in the picture, in points."""
    root = ET.fromstring(svg)
    return [float(t.get("font-size")) for t in root.iter(SVG + "text")]


def tooltips(g: ET.Element) -> list[str]:
    """The tooltips of a node or an edge (Graphviz writes them as xlink:title of an <a>)."""
    key = "{http://www.w3.org/1999/xlink}title"
    return [a.get(key) for a in g.iter(SVG + "a") if a.get(key) is not None]


def caption(svg) -> str:
    """The picture's own text (its graph label), outside every node and edge."""
    root = ET.fromstring(svg)
    graph = next(g for g in root.iter(SVG + "g") if g.get("class") == "graph")
    return " ".join("".join(t.itertext()) for t in graph.findall(SVG + "text"))
