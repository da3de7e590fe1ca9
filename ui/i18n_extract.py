"""Babel extractors for the English the core holds as data: the core stays free of gettext.

* ``extract_messages``: every string value of a module-level dict literal named in the
  ``tables`` option (default ``MESSAGES``; e.g. ``MESSAGES, WORDS``) becomes a msgid, with its
  key as the translators' comment: the core's error messages, the diagram's words, the CSV's
  headers, the generated code's comments.
* ``extract_descriptions``: the one-line descriptions of presets and block templates: the
  keyword arguments named in the ``arguments`` option (default ``description``) of every call, and the
  positional arguments named in the ``positional`` option as ``Call:index`` (``Preset:1`` for
  ``Preset("d2l", "The lecture's …", …)``; ``Device:7`` for a device's basis).

Registered in ``babel.cfg``. Files are parsed with ``ast``, never imported or executed.
"""

from __future__ import annotations

import ast
from typing import IO, Iterator

Found = Iterator[tuple[int, str | None, str, list[str]]]


def _names(options, name: str, default: str) -> set[str]:
    return {n.strip() for n in str(options.get(name, default)).split(",") if n.strip()}


def _text(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value else None


def extract_messages(fileobj: IO[bytes], keywords, comment_tags, options) -> Found:
    tables = _names(options, "tables", "MESSAGES")
    tree = ast.parse(fileobj.read().decode(options.get("encoding", "utf-8")))
    for node in tree.body:
        target = value = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if not (isinstance(target, ast.Name) and target.id in tables and isinstance(value, ast.Dict)):
            continue
        label = "code" if target.id == "MESSAGES" else target.id.lower()
        for key, item in zip(value.keys, value.values):
            text = _text(item)
            if isinstance(key, ast.Constant) and text is not None:
                yield item.lineno, None, text, [f"{label}: {key.value}"]


def extract_descriptions(fileobj: IO[bytes], keywords, comment_tags, options) -> Found:
    names = _names(options, "arguments", "description")
    positional: dict[str, int] = {}
    for item in _names(options, "positional", ""):
        call, _, index = item.partition(":")
        positional[call] = int(index or 1)
    tree = ast.parse(fileobj.read().decode(options.get("encoding", "utf-8")))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        for kw in node.keywords:
            if kw.arg in names and _text(kw.value) is not None:
                yield kw.value.lineno, None, kw.value.value, [f"{kw.arg} ({func})"]
        i = positional.get(func)
        if i is not None and len(node.args) > i and _text(node.args[i]) is not None:
            yield node.args[i].lineno, None, node.args[i].value, [f"{func} {_text(node.args[0])}, argument {i}"]
