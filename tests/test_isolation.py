"""Sessions share nothing mutable. Every Streamlit session runs in one server process, so a
module-level cache is shared by every student using the app at once: it may hold only values
no session can change — frozen dataclasses, tuples, strings, bytes, numbers — and never a
model (``nn.Module``) or a tensor. Here every page runs (AppTest) while each cache records
what it returns, and everything cached is walked; and no other module-level container of
``ui`` or ``googlenet`` may change while sessions run."""

from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
import pkgutil
import re
import types
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

from googlenet import analysis as core_analysis

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PACKAGES = ("ui", "googlenet")
PAGES = ["pages/block.py", "pages/compare.py", "pages/family.py", "pages/code.py", "pages/exercises.py", "pages/hardware.py"]
ATOMS = (str, bytes, int, float, complex, bool, type(None), range, enum.Enum, re.Pattern)


def our_modules() -> list[types.ModuleType]:
    found = []
    for name in PACKAGES:
        pkg = importlib.import_module(name)
        found.append(pkg)
        for info in pkgutil.walk_packages(pkg.__path__, name + "."):
            if info.name.rsplit(".", 1)[-1] != "__main__":  # a command line, run on import
                found.append(importlib.import_module(info.name))
    return found


def lru_caches() -> dict[str, tuple[types.ModuleType, str, functools._lru_cache_wrapper]]:
    """Every ``functools.lru_cache`` defined at module level in our packages."""
    out = {}
    for mod in our_modules():
        for name, obj in vars(mod).items():
            if isinstance(obj, functools._lru_cache_wrapper) and obj.__module__ == mod.__name__:
                out[f"{mod.__name__}.{name}"] = (mod, name, obj)
    return out


def _memo_of_analysis(obj, name: str, value) -> list[str]:
    """``Analysis._index``: a by-key dict of its own tree's nodes, filled on first look-up.
    Allowed because it holds nothing but the frozen nodes already in the tree."""
    if not isinstance(value, dict):
        return [f"Analysis.{name} is a {type(value).__name__}"]
    nodes = [n for n in obj.root.walk() if n is not obj.root]
    rows = {id(n) for n in nodes}
    if any(id(v) not in rows for v in value.values()) or set(value) != {n.key for n in nodes}:
        return [f"Analysis.{name} holds something other than the analysis's own rows"]
    return []


MEMOS = {("Analysis", "_index"): _memo_of_analysis}


def mutable_parts(obj, path: str, seen: set[int]) -> list[str]:
    """Where ``obj`` holds something a session could change, or a model or tensor."""
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, (torch.nn.Module, torch.Tensor)):
        return [f"{path}: a {type(obj).__name__}"]
    if isinstance(obj, ATOMS):
        return []
    if isinstance(obj, (tuple, frozenset)):
        return [p for i, v in enumerate(obj) for p in mutable_parts(v, f"{path}[{i}]", seen)]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if not type(obj).__dataclass_params__.frozen:
            return [f"{path}: {type(obj).__name__} is not a frozen dataclass"]
        names = {f.name for f in dataclasses.fields(obj)}
        found = [p for n in names for p in mutable_parts(getattr(obj, n), f"{path}.{n}", seen)]
        for extra, value in getattr(obj, "__dict__", {}).items():
            if extra in names:
                continue
            check = MEMOS.get((type(obj).__name__, extra))
            found += check(obj, extra, value) if check else [f"{path}.{extra}: {type(value).__name__} set on a frozen {type(obj).__name__}"]
        return found
    return [f"{path}: {type(obj).__module__}.{type(obj).__name__}"]


def run_every_page(at_queries: list[dict[str, str]]) -> None:
    for query in at_queries:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update(query)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        for page in PAGES:
            at.switch_page(page).run()
            assert not at.exception, (page, [e.value for e in at.exception])


SESSIONS = [
    {"preset": "d2l", "b4": "6", "inception3a.c1": "80"},
    {"preset": "inception-resnet-v2", "input": "3x160x160"},
]


def test_no_cache_holds_a_model_or_anything_mutable(monkeypatch):
    caches = lru_caches()
    # the caches this test knows to look at: a new one is walked too, a vanished one is noticed
    assert {"ui.studio._diagram_outcome", "ui.studio.checks_of", "ui.studio.block_lesson", "ui.state._network"} <= set(caches)
    returned: dict[str, list] = {name: [] for name in caches}

    def recording(name, cached):
        @functools.wraps(cached)
        def call(*args, **kwargs):
            value = cached(*args, **kwargs)  # a hit returns the very object the cache holds
            returned[name].append(value)
            return value

        return call

    for name, (mod, attr, cached) in caches.items():
        monkeypatch.setattr(mod, attr, recording(name, cached))

    run_every_page(SESSIONS)
    # what the deferred downloads make only when clicked
    from ui import figures, interop, state, studio

    net = state.from_query(SESSIONS[0]).design.network()
    studio.diagram_file(net, "blocks", None, "kind", False, "light", "png")
    figures.figure_file(net, "blocks", None, "kind", False, "light", figures.FigureOptions(), "png")
    interop.python_code(net, "en")

    used = {name for name, values in returned.items() if values}
    assert {"ui.studio._diagram_outcome", "ui.figures.csv_bytes", "ui.figures.figure_file", "ui.studio.checks_of", "ui.studio.block_lesson", "ui.studio.family_analyses"} <= used
    problems = []
    for name, values in returned.items():
        seen: set[int] = set()
        for i, value in enumerate(values):
            problems += mutable_parts(value, f"{name}()#{i}", seen)
    # the analysis cache, keyed by network: keys and values alike
    seen = set()
    for i, (net, a) in enumerate(list(core_analysis._CACHE._data.items())):
        problems += mutable_parts(net, f"analyze cache key #{i}", seen)
        problems += mutable_parts(a, f"analyze cache value #{i}", seen)
    assert core_analysis._CACHE._data, "the sessions analysed nothing?"
    assert problems == [], "\n".join(problems[:40])


def _snapshot(obj) -> str:
    return f"{type(obj).__name__}:{len(obj)}:{obj!r}"


def test_no_module_level_container_changes_while_sessions_run():
    containers = {
        f"{mod.__name__}.{name}": obj
        for mod in our_modules()
        for name, obj in vars(mod).items()
        if isinstance(obj, (dict, list, set, bytearray)) and not name.startswith("__")
    }
    before = {name: _snapshot(obj) for name, obj in containers.items()}
    run_every_page(SESSIONS[:1])
    changed = [name for name, obj in containers.items() if _snapshot(obj) != before[name]]
    assert changed == []


def test_no_streamlit_resource_cache_shares_objects_between_sessions():
    """``st.cache_resource`` hands every session the same object; ``lru_cache`` of immutable
    values is what the app uses. A resource cache would need a test like the one above."""
    sources = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py"), *(ROOT / "googlenet").rglob("*.py")]
    found = [f"{p.relative_to(ROOT)}:{i}" for p in sources for i, line in enumerate(p.read_text().splitlines(), 1)
             if re.search(r"\bcache_resource\b|\bexperimental_singleton\b", line)]
    assert found == []
