"""A Babel extractor for the core's message table: every string value of a module-level
``MESSAGES = {code: template, …}`` dict literal becomes a msgid, with its code as the
translators' comment. The core stays free of gettext: it only holds the English templates.

Registered in ``babel.cfg`` (``[extractors] core_messages = ui.i18n_extract:extract_messages``).
The file is parsed with ``ast``, never imported or executed.
"""

from __future__ import annotations

import ast
from typing import IO, Iterator


def extract_messages(fileobj: IO[bytes], keywords, comment_tags, options) -> Iterator[tuple[int, str | None, str, list[str]]]:
    encoding = options.get("encoding", "utf-8")
    tree = ast.parse(fileobj.read().decode(encoding))
    for node in tree.body:
        target = value = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if not (isinstance(target, ast.Name) and target.id == "MESSAGES" and isinstance(value, ast.Dict)):
            continue
        for key, item in zip(value.keys, value.values):
            if isinstance(key, ast.Constant) and isinstance(item, ast.Constant) and isinstance(item.value, str):
                yield item.lineno, None, item.value, [f"code: {key.value}"]
