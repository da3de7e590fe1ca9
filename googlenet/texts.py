"""Prose the core writes for people (a reader's note, why a design has no ONNX file, a device's
description), as data: a code, its English template and the values that fill it.

``Text`` is a ``str`` — the English, exactly as written before — that also carries ``code``,
``template`` (the msgid) and ``values``, so an interface says it in its own language by code and
values (``ui.i18n.coded_text``), never by matching the English. Each module keeps its templates
in a table named ``TEXTS`` (code → English), which the catalog's extractor reads
(``ui.i18n_extract``); values that are English words rather than names or numbers are listed
in ``value_words`` (translated where shown, like ``jobs.Busy``'s job names).
"""

from __future__ import annotations

from typing import Mapping


class Text(str):
    """English text with its ``code``, ``template`` and ``values``; ``str(t)`` is the English."""

    code: str
    template: str
    values: dict
    value_words: Mapping[str, str]

    def __new__(cls, code: str, template: str, values: Mapping[str, object] | None = None,
                value_words: Mapping[str, str] | None = None) -> "Text":
        values = dict(values or {})
        self = super().__new__(cls, template.format(**values))
        self.code, self.template, self.values = code, template, values
        self.value_words = dict(value_words or {})
        return self

    def __reduce__(self):  # pickled and copied with its code and values, not as the bare English
        return (Text, (self.code, self.template, self.values, self.value_words))


def text(table: Mapping[str, str], code: str, value_words: Mapping[str, str] | None = None, **values) -> Text:
    """``table[code]`` filled with ``values``, as a ``Text``."""
    return Text(code, table[code], values, value_words)
