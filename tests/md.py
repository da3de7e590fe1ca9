"""What a reader sees of the app's Markdown messages."""

from __future__ import annotations

import re


def shown(markdown: str) -> str:
    """Markdown text as read: user text reaches the page with its punctuation backslash-escaped
    (ui.state.md_literal), and a backslash escape shows the character alone."""
    return re.sub(r"\\(.)", r"\1", markdown)
