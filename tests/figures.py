"""Reading Graphviz's own layout of a drawing (``dot -Tjson``): every text it set, with its
font, size and box, every cluster and node box, and every edge's path, in points. The
figure tests measure slides on this: what Graphviz drew, not what we asked for."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (points, y up)


@dataclass(frozen=True)
class Text:
    text: str
    font: str
    size: float
    box: Box
    owner: str  # the node, cluster or edge that draws it ("graph" for the graph's label)


@dataclass(frozen=True)
class Edge:
    tail: str
    head: str
    points: tuple[tuple[float, float], ...]  # sampled along its splines
    style: str = ""


@dataclass
class Layout:
    width: float
    height: float
    texts: list[Text] = field(default_factory=list)
    nodes: dict[str, Box] = field(default_factory=dict)
    clusters: dict[str, Box] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    fills: dict[str, set[str]] = field(default_factory=dict)  # node → the colours it fills with
    legend_fills: set[str] = field(default_factory=set)  # colours filled in the graph's label


def _fills(ops: list[dict]) -> set[str]:
    """The solid fill colours of drawing ops (``#rrggbb``; a fully transparent ``#rrggbb00`` is none)."""
    out = set()
    for op in ops:
        c = op.get("color", "").lower()
        if op["op"] == "C" and op.get("grad") == "none" and not (len(c) == 9 and c.endswith("00")):
            out.add(c[:7])
    return out


def _texts(ops: list[dict], owner: str) -> list[Text]:
    out = []
    font, size = "", 14.0
    for op in ops:
        if op["op"] == "F":
            font, size = op["face"], float(op["size"])
        elif op["op"] == "T":
            x, y = op["pt"]
            w = float(op["width"])
            x0 = {"l": x, "c": x - w / 2, "r": x - w}[op["align"]]
            out.append(Text(op["text"], font, size, (x0, y - 0.22 * size, x0 + w, y + 0.78 * size), owner))
    return out


def _bezier(ctrl: list[tuple[float, float]], steps: int = 16) -> list[tuple[float, float]]:
    pts = []
    for i in range(0, len(ctrl) - 3, 3):
        p0, p1, p2, p3 = ctrl[i : i + 4]
        for k in range(steps + 1):
            t = k / steps
            a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
            pts.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return pts


def _box(bb: str) -> Box:
    x0, y0, x1, y1 = (float(v) for v in bb.split(","))
    return x0, y0, x1, y1


def layout(dot: str) -> Layout:
    """``dot -Tjson`` of the DOT text, read into boxes, texts and edge paths."""
    done = subprocess.run(["dot", "-Tjson"], input=dot.encode(), capture_output=True, timeout=120, check=True)
    g = json.loads(done.stdout)
    x0, y0, x1, y1 = _box(g["bb"])
    out = Layout(x1 - x0, y1 - y0)
    out.texts += _texts(g.get("_ldraw_", []), "graph")
    out.legend_fills = _fills(g.get("_ldraw_", []))
    names = {}
    for obj in g.get("objects", []):
        gvid, name = obj["_gvid"], obj["name"]
        names[gvid] = name
        if "bb" in obj:  # a cluster
            out.clusters[name] = _box(obj["bb"])
            out.texts += _texts(obj.get("_ldraw_", []), name)
        elif "pos" in obj:
            x, y = (float(v) for v in obj["pos"].split(","))
            w, h = float(obj["width"]) * 72, float(obj["height"]) * 72
            out.nodes[name] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            out.texts += _texts(obj.get("_ldraw_", []), name)
            out.fills[name] = _fills(obj.get("_ldraw_", []) + obj.get("_draw_", []))
    for e in g.get("edges", []):
        pts: list[tuple[float, float]] = []
        for op in e.get("_draw_", []):
            if op["op"] == "b":
                pts += _bezier([tuple(p) for p in op["points"]])
        tail, head = names[e["tail"]], names[e["head"]]
        out.texts += _texts(e.get("_ldraw_", []), f"{tail}->{head}")
        out.edges.append(Edge(tail, head, tuple(pts), e.get("style", "")))
    return out


def inside(p: tuple[float, float], box: Box, margin: float = 1.0) -> bool:
    return box[0] + margin < p[0] < box[2] - margin and box[1] + margin < p[1] < box[3] - margin


def crossings(lay: Layout) -> list[tuple[str, str]]:
    """(edge, what it runs through): edges drawn through a text that is not their own (a
    cluster's title, the graph's label, another edge's label) or through a node that is
    not one of their ends."""
    found = []
    for e in lay.edges:
        if "invis" in e.style:
            continue
        own = f"{e.tail}->{e.head}"
        for t in lay.texts:
            if t.owner in (own, e.tail, e.head) or not t.text.strip():
                continue
            if t.owner in lay.nodes:
                continue  # a node's texts are inside its box, checked below
            if any(inside(p, t.box) for p in e.points):
                found.append((own, f"text {t.text!r} of {t.owner}"))
        for name, box in lay.nodes.items():
            if name in (e.tail, e.head):
                continue
            if any(inside(p, box, 2.0) for p in e.points):
                found.append((own, f"node {name}"))
    return found


def share_changed_without_cjk_fonts(dot: str, tmp_path, monkeypatch) -> float:
    """The share of a 2× PNG's pixels that change when ``dot`` is drawn with fonts that have no
    Han glyphs (DejaVu only: boxes, tofu) instead of the machine's: near 0 means the Han text
    was tofu to begin with."""
    import io

    from PIL import Image, ImageChops

    from googlenet.render import render

    good = Image.open(io.BytesIO(render(dot, "png", scale=2))).convert("L")
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f"<dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    tofu = Image.open(io.BytesIO(render(dot, "png", scale=2))).convert("L")
    w, h = min(good.width, tofu.width), min(good.height, tofu.height)
    diff = ImageChops.difference(good.crop((0, 0, w, h)), tofu.crop((0, 0, w, h)))
    return sum(diff.point(lambda v: 255 if v > 64 else 0).histogram()[255:]) / (w * h)
