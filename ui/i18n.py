"""The interface's language: English or Simplified Chinese, from gettext catalogs.

The catalogs are ``locale/<lang>/LC_MESSAGES/messages.po`` (msgid = the English text), managed
with Babel (``make i18n-extract`` / ``i18n-update`` / ``i18n-compile``); the set-up compiles
them to ``.mo``. A ``.po`` newer than its ``.mo`` (or a ``.mo`` not built yet) is compiled in
memory instead, so a fresh clone runs before ``make`` has compiled anything. They are read once,
when this module is imported, into read-only mappings that every session shares.

The session's language is chosen once per session: the link's ``lang=zh`` / ``lang=en`` if it
has one, else the browser's language (``st.context.locale``, which is ``navigator.language``;
the ``Accept-Language`` header when that is unknown). The picker changes it; a language chosen
by the picker or by the link is kept in the link (``link_params``).

The core's messages are translated by code and values (``error_text``), never by matching the
English: a ``SpecError``'s code picks the template and its values fill the placeholders; field
paths, layer and block names, shapes and numbers stay as they are. The same goes for the
refusals that carry a ``template`` and ``values`` (``coded_text``) and for the core's prose as
``googlenet.texts.Text`` (a reader's note, why there is no ONNX file, this CPU's description:
``translate``).
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping, Sequence

from googlenet.errors import MESSAGES, SpecError

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "locale"
DOMAIN = "messages"
PARAM = "lang"  # the link's parameter
LANGUAGES = {"en": "English", "zh": "中文"}  # each named in its own language
SOURCE = "en"  # the language of the msgids
KEY = "lang"  # session state: the session's language
CHOSEN = "lang_chosen"  # session state: set when the picker or the link chose it
PICKER = "lang_picker"


def N_(message: str) -> str:
    """Marks a string for the catalog without translating it (it is translated where shown)."""
    return message


# Values the core fills into its messages as English words rather than names or numbers.
VALUE_WORDS = {
    "concatenated": N_("concatenated"),  # block.merge_spatial's {verb}
    "parameters": N_("parameters"),  # layer.too_large's {what}
    "output elements": N_("output elements"),
    "concatenating": N_("concatenating"),  # scale.none's {kind} for a block made by no template
}


# --- the catalogs ----------------------------------------------------------------------------


def catalog_path(lang: str, suffix: str = ".po") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def compile_po(po: Path) -> bytes:
    """A ``.po`` file compiled to ``.mo`` bytes by Babel, as ``pybabel compile`` does."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po, "rb") as f:
        catalog = read_po(f)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


@dataclass(frozen=True)
class Catalog:
    """One language's translations, read-only: every session shares it."""

    messages: Mapping[str, str]  # msgid → msgstr (a read-only view)
    plurals: Mapping[tuple[str, int], str]  # (msgid, form) → msgstr
    plural: Callable[[int], int]  # n → form

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self.plurals.get((singular, self.plural(n)))
        return found or (singular if n == 1 else plural)


def _english_plural(n: int) -> int:
    return 0 if n == 1 else 1


def load(lang: str) -> Catalog:
    """The catalog of ``lang`` from its ``.mo`` when that is up to date, else from its ``.po``
    (English is the msgids themselves)."""
    if lang == SOURCE:
        return Catalog(MappingProxyType({}), MappingProxyType({}), _english_plural)
    po, mo = catalog_path(lang), catalog_path(lang, ".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        data = mo.read_bytes()
    else:
        data = compile_po(po)
    t = gettext.GNUTranslations(io.BytesIO(data))
    raw = t._catalog  # noqa: SLF001 - the parsed .mo: str keys for messages, (msgid, n) for plurals
    messages = {k: v for k, v in raw.items() if isinstance(k, str) and k}
    plurals = {k: v for k, v in raw.items() if isinstance(k, tuple)}
    return Catalog(MappingProxyType(messages), MappingProxyType(plurals), t.plural)


CATALOGS: Mapping[str, Catalog] = MappingProxyType({lang: load(lang) for lang in LANGUAGES})


def translations(lang: str) -> Catalog:
    return CATALOGS.get(lang, CATALOGS[SOURCE])


def gettext_in(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


# --- the session's language --------------------------------------------------------------------


def language_from_query(params: Mapping[str, str | Sequence[str]]) -> str | None:
    """``zh`` or ``en`` from the link's ``lang=…`` (``zh-CN``, ``ZH`` and ``en-GB`` too); None
    when the link has none, or one this interface does not offer."""
    value = params.get(PARAM)
    if value is None:
        return None
    if not isinstance(value, str):
        value = value[-1] if value else ""
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def language_default(preference: str | None) -> str:
    """The language for a browser's ``navigator.language`` (``zh-CN``) or ``Accept-Language``
    header (``zh-CN,zh;q=0.9,en;q=0.8``): the first offered language in its order of
    preference (q values), else English."""
    if not preference:
        return SOURCE
    ranked = []
    for i, part in enumerate(str(preference)[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        code = tag.strip().lower().replace("_", "-").split("-")[0]
        if code in LANGUAGES and q > 0:
            ranked.append((-q, i, code))
    return min(ranked)[2] if ranked else SOURCE


def _browser_preference() -> str | None:
    import streamlit as st

    try:
        locale = st.context.locale
    except Exception:  # noqa: BLE001 - a runtime without the browser's context
        locale = None
    if locale:
        return locale
    try:
        return st.context.headers.get("Accept-Language")
    except Exception:  # noqa: BLE001
        return None


def init(params: Mapping[str, str | Sequence[str]] | None = None) -> str:
    """Choose the session's language once: the link's (``params``, default the page's query
    parameters), else the browser's. Later calls return the choice."""
    import streamlit as st

    ss = st.session_state
    if ss.get(KEY) in LANGUAGES:
        return ss[KEY]
    chosen = language_from_query(st.query_params.to_dict() if params is None else params)
    if chosen is not None:
        ss[CHOSEN] = True
    ss[KEY] = chosen or language_default(_browser_preference())
    return ss[KEY]


def language() -> str:
    """The session's language (English outside a session, e.g. in the CLI or a test)."""
    try:
        import streamlit as st

        lang = st.session_state.get(KEY)
        if lang in LANGUAGES:
            return lang
        return init()
    except Exception:  # noqa: BLE001 - no Streamlit session: the source language
        return SOURCE


def _(message: str) -> str:
    """``message`` in the session's language."""
    return gettext_in(language(), message)


def translate(message: str, lang: str | None = None) -> str:
    """A msgid held by the core as data (e.g. ``report.PROSE[...]``, a preset device's basis), in
    ``lang`` (default the session's); a core ``texts.Text`` (a reader's note, this CPU's title) by
    its code and values. Unlike ``_`` it is not an extraction keyword: the core's tables are
    extracted by their own extractors (``ui.i18n_extract``)."""
    lang = lang or language()
    if _is_coded(message):
        return coded_text(message, lang)
    return gettext_in(lang, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(language()).ngettext(singular, plural, n)


def set_language(lang: str) -> None:
    import streamlit as st

    if lang in LANGUAGES:
        st.session_state[KEY] = lang
        st.session_state[CHOSEN] = True


def link_params() -> dict[str, str]:
    """``{"lang": …}`` for the link once the language was chosen (by the picker or the link);
    empty while it only follows the browser, so a shared link follows its reader's browser."""
    import streamlit as st

    if st.session_state.get(CHOSEN) and st.session_state.get(KEY) in LANGUAGES:
        return {PARAM: st.session_state[KEY]}
    return {}


def picker(key: str = PICKER) -> str:
    """The language picker (English / 中文); returns the session's language."""
    import streamlit as st

    lang = language()
    if st.session_state.get(key) != lang:
        st.session_state[key] = lang  # the widget shows the session's language, however it was set

    def changed() -> None:
        set_language(st.session_state[key])

    st.segmented_control(
        _("Language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__, required=True, key=key,
        on_change=changed, help=_("The interface's language; the link keeps it once chosen."),
    )
    return language()


# --- the core's messages --------------------------------------------------------------------------


def _values(err: SpecError, lang: str) -> dict:
    values = dict(err.values)
    for name, value in values.items():
        if _is_coded(value):  # core prose with its own code (onnx.unsupported's {reason})
            values[name] = coded_text(value, lang)
        elif isinstance(value, str) and value in VALUE_WORDS:
            values[name] = gettext_in(lang, value)
    cause, hint = getattr(err, "cause", None), getattr(err, "hint", None)
    if isinstance(cause, SpecError) and "detail" in values:
        values["detail"] = error_detail(cause, lang)
    if isinstance(hint, SpecError) and "hint" in values:
        values["hint"] = error_detail(hint, lang)
    return values


def message(code: str, values: Mapping[str, object], lang: str | None = None) -> str:
    """The template of ``code`` in ``lang`` (default the session's), filled with ``values``."""
    return gettext_in(lang or language(), MESSAGES[code]).format(**values)


def error_detail(err: SpecError, lang: str | None = None) -> str:
    """``err.detail`` in ``lang``: the message without the field."""
    lang = lang or language()
    return message(err.code, _values(err, lang), lang)


def error_text(err: SpecError, lang: str | None = None) -> str:
    """``str(err)`` in ``lang``: ``<field>: <message>``, the field path as it is."""
    detail = error_detail(err, lang)
    return f"{err.field}: {detail}" if err.field else detail


def note_text(note, lang: str | None = None) -> str:
    """An analysis ``Note`` (a code and its values) in ``lang``."""
    return message(note.code, dict(note.values), lang)


# --- words the core writes: diagrams, CSV headers, generated code's comments ------------------------


def diagram_words(lang: str | None = None) -> dict[str, str]:
    """The words a diagram and its legend write (``googlenet.render.WORDS``) in ``lang``: pass
    them as ``words=`` to ``to_dot`` / ``block_dot`` / ``legend``, so the drawing on the page and
    its PNG / SVG / PDF export speak the interface's language. Names, numbers, shapes and
    layer labels (``conv 3×3 /2``) stay as they are."""
    from googlenet.render.text import WORDS
    from googlenet.templates import TEMPLATES

    lang = lang or language()
    words = {key: gettext_in(lang, text) for key, text in WORDS.items()}
    if lang != SOURCE:  # a block diagram's line that describes its template, for a renderer that asks
        words.update({f"template.{kind}": gettext_in(lang, t.description) for kind, t in TEMPLATES.items()})
    return words


def csv_headers(lang: str | None = None) -> dict[str, str]:
    """The layer CSV's column headers (``googlenet.report.CSV_HEADERS``) in ``lang``, for
    ``report.to_csv(a, headers=…)``; the column names stay the default (English), which is what
    scripts that read the file expect."""
    from googlenet.report import CSV_HEADERS

    lang = lang or language()
    return {key: gettext_in(lang, text) for key, text in CSV_HEADERS.items()}


def code_words(lang: str | None = None, description: str | None = None) -> dict[str, str]:
    """The generated code's comment lines (``googlenet.codegen.COMMENTS``) in ``lang``, for
    ``codegen.to_python(net, words=…)``: only comments and the docstring change, never the code."""
    from googlenet.codegen import COMMENTS
    from googlenet.templates import TEMPLATES

    lang = lang or language()
    words = {key: gettext_in(lang, text) for key, text in COMMENTS.items()}
    if lang != SOURCE:  # the header's list of the block templates the network uses
        words.update({f"template.{kind}": gettext_in(lang, t.description) for kind, t in TEMPLATES.items()})
        if description:  # the network's description (a preset's is in the catalog; a user's stays as written)
            words["description"] = gettext_in(lang, description)
    return words


def template_description(kind: str | None, lang: str | None = None) -> str:
    """A block template's one-line description (``googlenet.templates``) in ``lang``."""
    from googlenet.templates import TEMPLATES

    template = TEMPLATES.get(kind) if kind else None
    return gettext_in(lang or language(), template.description) if template else ""


def preset_description(name: str, lang: str | None = None) -> str:
    """A preset's one-line summary in ``lang``."""
    from googlenet.presets import PRESETS

    return gettext_in(lang or language(), PRESETS[name].description)


def _is_coded(x) -> bool:
    return isinstance(getattr(x, "template", None), str) and isinstance(getattr(x, "values", None), Mapping)


def coded_text(err: Exception | str, lang: str | None = None) -> str:
    """An exception or a core text that carries a ``template`` (a msgid) and its ``values``
    (``jobs.Busy``, ``checks.TooLargeToRun``, ``profile.Busy``, a ``googlenet.texts.Text``), in
    ``lang``; anything else as its own text."""
    template, values = getattr(err, "template", None), getattr(err, "values", None)
    if not isinstance(template, str) or not isinstance(values, Mapping):
        return str(err)
    lang = lang or language()
    words = getattr(err, "value_words", {})  # values that are English words (jobs.Busy's job names)
    values = {k: gettext_in(lang, v) if isinstance(v, str) and v in words else v for k, v in values.items()}
    return gettext_in(lang, template).format(**values)


def _coded(parts, lang: str) -> str:
    """``(template, values)`` pieces (msgids from the core) joined, each in ``lang``; a value that
    is itself pieces (a tuple) is translated the same way first."""
    return "".join(
        gettext_in(lang, template).format(**{k: _coded(v, lang) if isinstance(v, tuple) else v for k, v in values})
        for template, values in parts
    )


def check_name(check, lang: str | None = None) -> str:
    """A torchinfo check's name in ``lang`` (its English ``name`` when it carries no codes)."""
    parts = dict(getattr(check, "texts", ()) or ()).get("name")
    return _coded(parts, lang or language()) if parts else check.name


def check_note(check, lang: str | None = None) -> str:
    parts = dict(getattr(check, "texts", ()) or ()).get("note")
    return _coded(parts, lang or language()) if parts else check.note


def check_value(check, field: str, lang: str | None = None) -> str:
    """A check's ``ours`` or ``theirs`` when it is text (``12 of 12 match``), in ``lang``."""
    parts = dict(getattr(check, "texts", ()) or ()).get(field)
    return _coded(parts, lang or language()) if parts else str(getattr(check, field))
