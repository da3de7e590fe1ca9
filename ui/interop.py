"""Streamlit glue for working with the rest of the ecosystem: the design as an ONNX file, and
PyTorch code (the lecture's, or a file from the Code page) read into a design.

Nothing a user pastes or uploads is run: ``googlenet.importer`` parses it with ``ast``. The
ONNX file is made only when the button is pressed (Streamlit calls the data function then)."""

from __future__ import annotations

import re
from functools import lru_cache

import streamlit as st

from googlenet import codegen, importer, onnx_export
from googlenet import limits as L
from googlenet.spec import Network, SpecError

from . import i18n, state
from .i18n import N_, _

NETRON = N_("Open it in Netron: drop it on netron.app, or run `pip install netron` and `netron FILE`.")


@lru_cache(maxsize=8)
def python_code(net: Network, lang: str) -> str:
    """The design as a standalone PyTorch file, its comments in ``lang`` (the code is the same)."""
    return codegen.to_python(net, words=None if lang == i18n.SOURCE else i18n.code_words(lang, net.description))


@lru_cache(maxsize=2)
def onnx_bytes(net: Network) -> bytes:
    return onnx_export.to_onnx(net)


def onnx_download(net: Network, file_name: str, key: str = "main_onnx_download") -> None:
    """A download button for ``net`` as ONNX (fresh weights, the inference path), disabled with
    the reason when ONNX cannot express it."""
    why = onnx_export.problem(net)
    st.download_button(
        "ONNX", data=lambda: onnx_bytes(net), file_name=file_name, mime="application/octet-stream", key=key,
        on_click="ignore", icon=":material/download:", disabled=why is not None,
        help=_("Cannot be written as ONNX: {why}").format(why=i18n.translate(why)) if why else
        _("The network as an ONNX graph (random weights). {netron}").format(netron=_(NETRON)),
    )


def code_import(key: str = "main_code") -> Network | None:
    """A paste box and a .py upload for PyTorch code. Returns the network the code describes on
    the run after the user presses *Read the code* (None on every other run); a refusal, naming
    the line and the construct, and the reader's notes stay on the page for the next run."""
    _show(st.session_state.pop(f"{key}_messages", []))  # what the last read said (the page reran since)
    with st.form(key=f"{key}_form"):
        text = st.text_area(
            _("PyTorch code"), key=f"{key}_text", height=200,
            placeholder="class Inception(nn.Module): …\nb1 = nn.Sequential(…)\nnet = nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, 10))",
            help=_("The lecture's way (an Inception class and nn.Sequential stages of nn.Conv2d, nn.ReLU, nn.MaxPool2d, …) "
                   "or a file saved from the Code page. It is read, never run."),
        )
        upload = st.file_uploader(_("… or a .py file"), type=["py"], key=f"{key}_file")
        submitted = st.form_submit_button(_("Read the code"), icon=":material/input:")
    if not submitted:
        return None
    messages: list[tuple[str, str]] = []
    net = _read(text, upload, messages)
    if net is None:
        _show(messages)  # refused: said now, and the design stays as it is
    else:
        st.session_state[f"{key}_messages"] = messages  # said on the run that shows the new design
    return net


def note_markdown(note) -> str:
    """A reader's note as Markdown, in the session's language by its code and values: the
    template is the project's own (code in backticks shows as code), each value is escaped."""
    if not (isinstance(getattr(note, "template", None), str) and isinstance(getattr(note, "values", None), dict)):
        return state.md_literal(note, 300)
    template = i18n.gettext_in(i18n.language(), note.template)
    return template.format(**{k: state.md_literal(v, 80) for k, v in note.values.items()})


def code_field(field: str | None) -> str:
    """Where the reader's refusal points: ``line 7`` (or the code as a whole), in the session's language."""
    m = re.fullmatch(r"line (\d+)", field or "")
    if m:
        return _("line {n}").format(n=m.group(1))
    return _("code") if not field or field == "code" else field


def _show(messages: list[tuple[str, str]]) -> None:
    for kind, text in messages:
        (st.error if kind == "error" else st.info)(text, icon=":material/error:" if kind == "error" else ":material/info:")


def _read(text: str, upload, messages: list[tuple[str, str]]) -> Network | None:
    if upload is not None:
        data = upload.getvalue()
        if len(data) > L.MAX_CONFIG_BYTES:
            messages.append(("error", _("{file}: the file is larger than {limit} bytes").format(
                file=state.md_literal(upload.name), limit=f"{L.MAX_CONFIG_BYTES:,}")))
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            messages.append(("error", _("{file} is not UTF-8 text (byte {byte})").format(file=state.md_literal(upload.name), byte=err.start)))
            return None
    if not text.strip():
        messages.append(("error", _("Paste some code or choose a file first.")))
        return None
    try:
        got = importer.read_code(text)
    except SpecError as err:
        messages.append(("error", _("Could not read the code: **{field}** — {detail}").format(
            field=state.md_literal(code_field(err.field)), detail=state.md_literal(i18n.error_detail(err), 500))))
        return None
    messages.extend(("info", note_markdown(note)) for note in got.notes)
    what = _("a file from Inception Studio") if got.kind == "generated" else _("code written the lecture's way")
    messages.append(("info", _("Read {what}: **{name}**, {n} blocks.").format(
        what=what, name=state.md_literal(got.network.name), n=len(got.network.blocks()))))
    return got.network
