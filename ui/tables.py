"""What the pages show as numbers: metric cards and tables, built from the core's results.
Pure (pandas only): the pages decide where they go, this module decides what they say."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from googlenet import report
from googlenet.analysis import Analysis, shape_str
from googlenet.checks import Check
from googlenet.lessons import BlockLesson

from . import format as fmt
from . import i18n
from .i18n import N_, _

UNITS = fmt.UNITS
si = fmt.si
count = fmt.count
signed = fmt.signed
ms = fmt.ms
mb = fmt.nbytes  # bytes: MB, GB past 1,000 MB


def times(new: int, old: int) -> str:
    """``2.41× as built``."""
    return _("{ratio}× as built").format(ratio=f"{new / old:.2f}") if old else "—"


shape = shape_str


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    delta: str | None  # against the unmodified preset; None when equal
    help: str


def metrics(a: Analysis, origin: Analysis | None, units: str = "auto") -> list[Metric]:
    """The totals as metric cards, with the change against ``origin`` (the preset)."""
    t = a.totals
    o = origin.totals if origin is not None else None

    delta = fmt.delta

    aux = _("; aux heads add {params} params (training only)").format(params=f"{t.aux_params:,}") if t.aux_params else ""
    return [
        Metric(N_("Params"), count(t.params, units), delta(t.params, o and o.params, lambda v: count(v, units)),
               _("{params} trainable numbers (weights, biases, BatchNorm scales)").format(params=f"{t.params:,}") + aux),
        Metric(N_("MACs"), count(t.macs, units), delta(t.macs, o and o.macs, lambda v: count(v, units)),
               _("{macs} multiply-accumulates per image.").format(macs=f"{t.macs:,}") + " " + i18n.translate(report.COUNTING_RULE)),
        Metric(N_("FLOPs"), count(t.flops, units), delta(t.flops, o and o.flops, lambda v: count(v, units)),
               f"{t.flops:,} = 2 × MACs"),
        Metric(N_("Depth"), str(t.depth), delta(t.depth, o and o.depth, str),
               _("conv and linear layers on the longest input → output path")),
        Metric(N_("Output"), shape(t.output_shape), None if o is None or o.output_shape == t.output_shape else _("was {shape}").format(shape=shape(o.output_shape)),
               _("shape of the logits, batch dimension left out")),
        Metric(N_("Weights"), mb(t.weights_bytes), delta(t.weights_bytes, o and o.weights_bytes, mb),
               _("params × 4 bytes (fp32)")),
        Metric(N_("Peak activations"), mb(t.peak_activation_bytes),
               delta(t.peak_activation_bytes, o and o.peak_activation_bytes, mb),
               _("largest memory held by live tensors during one inference pass, batch 1, fp32")),
    ]


# --- the layer table --------------------------------------------------------------------------

LAYER_COLUMNS = {  # the names are translated where the table is shown
    "name": N_("Layer"),
    "kind": N_("Kind"),
    "stage": N_("Stage"),
    "block": N_("Block"),
    "branch": N_("Path"),
    "kernel": N_("Kernel"),
    "stride": N_("Stride"),
    "input_shape": N_("Input"),
    "output_shape": N_("Output"),
    "params": N_("Params"),
    "macs": N_("MACs"),
    "flops": N_("FLOPs"),
    "output_bytes": N_("Output bytes"),
    "receptive_field": N_("Receptive field"),
}


def layers(a: Analysis, stages: list[str] | tuple[str, ...] = (), blocks: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per layer (aux heads included, named in Stage), optionally only some stages or blocks."""
    rows = report.csv_rows(a)
    df = pd.DataFrame(rows, columns=list(report.CSV_COLUMNS))
    if stages:
        df = df[df["stage"].isin(stages)]
    if blocks:
        df = df[df["block"].isin(blocks)]
    return df[list(LAYER_COLUMNS)].rename(columns=LAYER_COLUMNS).reset_index(drop=True)


def layer_totals(df: pd.DataFrame) -> pd.DataFrame:
    """The sums of a layer table, as one row with the same columns."""
    row = {c: "" for c in df.columns}
    row["Layer"] = f"Total of {len(df)} rows"
    for c in ("Params", "MACs", "FLOPs", "Output bytes"):
        row[c] = int(df[c].sum()) if len(df) else 0
    return pd.DataFrame([row], columns=df.columns)


# what the table shows without asking (readable at 1400 px), and the rest a column picker offers
DEFAULT_COLUMNS = ("Layer", "Kind", "Block", "Kernel", "Stride", "Output", "Params", "MACs")
MORE_COLUMNS = {c: c for c in LAYER_COLUMNS.values() if c not in DEFAULT_COLUMNS}
NUMBER_COLUMNS = ("Params", "MACs", "FLOPs", "Output bytes")
TOTAL_MARK = "Σ"


def with_totals(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of a layer table with the totals as its first row: ``Σ 57 rows`` and the
    sums of the number columns, in the table itself, so they line up with its columns."""
    totals = layer_totals(df)
    totals.loc[0, "Layer"] = f"{TOTAL_MARK} {len(df)}"
    out = pd.concat([totals, df], ignore_index=True)[columns]
    for c in NUMBER_COLUMNS:
        if c in out:
            out[c] = out[c].astype("int64")
    return out


def row_style(row: pd.Series, selected: frozenset[str] | set[str]) -> list[str]:
    """The totals row in bold; the rows of the selected node's layers (``selected``: their
    keys) highlighted."""
    if row.name == 0:
        return ["font-weight: bold"] * len(row)
    if str(row["Layer"]) in selected:
        return ["background-color: rgba(255, 189, 69, 0.35)"] * len(row)
    return [""] * len(row)


# --- one block ----------------------------------------------------------------------------------


def paths(les: BlockLesson) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                _("Path"): p.name,
                _("Width field"): p.field,
                _("Layers"): p.label,
                _("Params"): p.params,
                _("MACs"): p.macs,
                _("Output channels"): p.out_channels,
                _("Share of channels"): p.share,
                _("Share of MACs"): p.macs / les.macs if les.macs else 0.0,
            }
            for p in les.paths
        ]
    )


def swaps(les: BlockLesson, lesson: str) -> pd.DataFrame:
    """The block's convs against the conv(s) they replace, one row per path or pair."""
    chosen = les.reduce if lesson == "reduce" else les.factorise
    return pd.DataFrame(
        [
            {
                _("Path"): s.path,
                _("As built"): s.actual_label,
                _("Instead"): s.alternative_label,
                _("Params"): s.params,
                _("Params instead"): s.alt_params,
                _("MACs"): s.macs,
                _("MACs instead"): s.alt_macs,
                _("MACs saved"): 1 - s.macs / s.alt_macs if s.alt_macs else 0.0,
            }
            for s in chosen
        ],
        columns=[_(c) for c in ("Path", "As built", "Instead", "Params", "Params instead", "MACs", "MACs instead", "MACs saved")],
    )


# --- two networks ---------------------------------------------------------------------------------


def compare_totals(a: Analysis, b: Analysis, units: str = "auto") -> pd.DataFrame:
    ta, tb = a.totals, b.totals
    rows = []
    for label, va, vb, fmt in (
        (N_("Params"), ta.params, tb.params, lambda v: count(v, units)),
        (N_("MACs"), ta.macs, tb.macs, lambda v: count(v, units)),
        (N_("FLOPs"), ta.flops, tb.flops, lambda v: count(v, units)),
        (N_("Depth"), ta.depth, tb.depth, str),
        (N_("Layers"), ta.layers, tb.layers, str),
        (N_("Weights"), ta.weights_bytes, tb.weights_bytes, mb),
        (N_("Peak activations"), ta.peak_activation_bytes, tb.peak_activation_bytes, mb),
    ):
        rows.append({"": _(label), "A": fmt(va), "B": fmt(vb), "B − A": signed(vb - va, fmt), "B / A": f"{vb / va:.2f}×" if va else ""})
    rows.append(
        {
            "": _("Output"),
            "A": shape(ta.output_shape),
            "B": shape(tb.output_shape),
            "B − A": _("same") if ta.output_shape == tb.output_shape else _("differs"),
            "B / A": "",
        }
    )
    return pd.DataFrame(rows)


def compare_shapes(a: Analysis, b: Analysis) -> pd.DataFrame:
    """Stages and blocks present in both networks whose output shapes differ, and those in one only."""
    rows = []
    for kind, ga, gb in ((N_("stage"), a.stages, b.stages), (N_("block"), a.blocks, b.blocks)):
        ma = {g.name: g for g in ga}
        mb_ = {g.name: g for g in gb}
        names = [g.name for g in ga] + [g.name for g in gb if g.name not in ma]
        for name in names:
            x, y = ma.get(name), mb_.get(name)
            sx = shape(x.out_shape) if x else "—"
            sy = shape(y.out_shape) if y else "—"
            if sx != sy:
                rows.append({_("Where"): _(kind), _("Name"): name, _("A output"): sx, _("B output"): sy})
    return pd.DataFrame(rows, columns=[_("Where"), _("Name"), _("A output"), _("B output")])


# --- the family ------------------------------------------------------------------------------------


def family(entries: list[tuple[str, str, Analysis]], readable: bool = False) -> pd.DataFrame:
    """``entries``: (preset, one-line idea, analysis); ``readable``: counts as 5.98 M, not 5977530."""
    fmt = si if readable else (lambda n: n)
    return pd.DataFrame(
        [
            {
                _("Network"): name,
                _("Params"): fmt(a.totals.params),
                _("MACs"): fmt(a.totals.macs),
                _("Depth"): a.totals.depth,
                _("Layers"): a.totals.layers,
                _("Default input"): shape(a.network.input),
                _("Blocks"): len(a.blocks),
                _("Idea"): idea,
            }
            for name, idea, a in entries
        ]
    )


# --- checks ---------------------------------------------------------------------------------------


def checks(items: list[Check] | tuple[Check, ...]) -> pd.DataFrame:
    """torchinfo's verdicts as a table, one row per check, indexed by the check, in the reader's language."""
    verdict = {True: _("agrees"), False: _("differs")}
    rows = [{
        _("Check"): i18n.check_name(c), _("Verdict"): verdict[c.agrees],
        _("Ours"): f"{c.ours:,}" if isinstance(c.ours, int) else i18n.check_value(c, "ours"),
        "torchinfo": f"{c.theirs:,}" if isinstance(c.theirs, int) else i18n.check_value(c, "theirs"),
        _("Note"): i18n.check_note(c),
    } for c in items]
    return pd.DataFrame(rows, columns=[_("Check"), _("Verdict"), _("Ours"), "torchinfo", _("Note")]).set_index(_("Check"))
