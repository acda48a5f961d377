"""Publication figures (PNG, and SVG on request: `report.figure_formats`) from the explorer data: top terms per topic, the
topic x code heatmap, and topic prevalence by a metadata field.

matplotlib's object API on the Agg canvas (no pyplot state, no global backend, no display
needed); the Okabe-Ito palette, which stays distinguishable under the common colour-vision
deficiencies. matplotlib is imported inside the functions that draw, so that importing the
report package (as `topicbook validate` does) does not load it.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from topicbook.logs import CapturedRecord, capture_records, replay
from topicbook.names import name_problem, safe_name, unique_name
from topicbook.report.figure_text import data_text, fallback_fonts, plain_text

if TYPE_CHECKING:
    from topicbook.workers import WorkerPool

log = logging.getLogger(__name__)

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FORMATS = ("png", "svg")
# The topic x code heatmap draws at most this many codes (one column each): with more, the
# codes a topic carries, then those most correlated with any topic, in codebook order (alignment.csv and the
# explorer's codebook map have every code).
HEATMAP_MAX_CODES = 40
CARRIED = ("own_topic", "split", "merged")  # structure verdicts whose topics the heatmap outlines


WriteBytes = Callable[[str, bytes], Path]  # RunFolderWriter.write_bytes: relative path, data -> file


def _saved(fig: Any, formats: Sequence[str] = FORMATS) -> list[bytes]:
    """The figure's bytes in each of `formats` (png, svg), in that order."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    files = []
    with matplotlib.rc_context({"svg.hashsalt": "topicbook", "svg.fonttype": "none"}):
        for ext in formats:
            buffer = io.BytesIO()
            meta = {"Date": None} if ext == "svg" else {"Software": None}
            fig.savefig(buffer, format=ext, dpi=150, metadata=meta)
            files.append(buffer.getvalue())
    return files


def _field_part(field: str) -> str:
    """A metadata field as part of a file name (its safe form; 'field' when none is left)."""
    return safe_name(field) if name_problem(field) is None else "field"


def top_terms_figure(model: Mapping[str, Any], n_terms: int = 8) -> Any:
    """Small multiples on one axes (fast to draw): per topic, bars of p(w|topic) for its top
    terms, each panel scaled to its own largest weight. The bars of all panels are one
    collection (drawn as barh's rectangles would be, without an artist per bar)."""
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    topics = model["topics"]
    cols = min(5, len(topics))
    rows = math.ceil(len(topics) / cols)
    panel_h = n_terms + 2.0
    fig = Figure(figsize=(2.7 * cols, 0.2 * panel_h * rows + 0.5))
    ax = fig.add_axes((0.01, 0.01, 0.98, 1 - 0.45 / fig.get_figheight()))
    ax.set_axis_off()
    ax.set_xlim(0, cols)
    ax.set_ylim(rows * panel_h, 0)
    bars: list[list[tuple[float, float]]] = []  # one rectangle per bar: barh(y, width, left=x0, height=0.75)
    colors: list[str] = []
    for i, t in enumerate(topics):
        col, row = i % cols, i // cols
        x0, y0 = col + 0.42, row * panel_h + 1.6
        weights = t["weights"][:n_terms]
        top = max(max(weights, default=0.0), 1e-12)
        ys = [y0 + j for j in range(len(weights))]
        for y, w in zip(ys, weights, strict=True):
            x1, low, high = x0 + 0.52 * w / top, y - 0.375, y + 0.375
            bars.append([(x0, low), (x0, high), (x1, high), (x1, low)])
            colors.append(OKABE_ITO[i % 7])
        for y, term in zip(ys, t["terms"][:n_terms], strict=True):
            ax.text(x0 - 0.02, y, term, ha="right", va="center", fontsize=7.5)
        title = t["display"] + (f" ({', '.join(t['codes'])})" if t.get("codes") else "")
        ax.text(col + 0.02, row * panel_h + 0.5, title, fontsize=8.5, fontweight="bold", va="center")
    ax.add_collection(PolyCollection(bars, closed=True, facecolors=colors, edgecolors="none", linewidths=0),
                      autolim=False)
    fig.suptitle(f"{model['name']}: top terms (bar length: p(w | topic), per panel)", fontsize=10)
    return fig


def heatmap_figure(model: Mapping[str, Any]) -> Any:
    """Topic x code correlation (a topic's weights with a code's evidence scores) with the
    verdicts' matches outlined; None when the run has no codebook."""
    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    al = model.get("alignment")
    if not al:
        return None
    shown = heatmap_codes(al)
    sim = np.asarray(al["similarity"])[:, shown]
    codes = [al["codes"][j] for j in shown]
    topics = model["topics"]
    fig = Figure(figsize=(3.5 + 0.45 * len(codes), 1.6 + 0.3 * len(topics)))
    ax = fig.subplots()
    image = ax.imshow(sim, cmap="cividis", vmin=min(0.0, float(sim.min())), vmax=max(0.6, float(sim.max())), aspect="auto")
    ax.set_xticks(range(len(codes)), labels=codes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(topics)), labels=[f"{t['display']} {t['label']}"[:40] for t in topics], fontsize=8)
    for j, code in enumerate(codes):
        if al["status"].get(code) in CARRIED:
            for k in al["topics"].get(code, ()):
                ax.add_patch(Rectangle((j - 0.5, k - 0.5), 1, 1, fill=False, edgecolor="#E69F00", linewidth=2.5))
    fig.colorbar(image, ax=ax, label="correlation with the code's evidence", shrink=0.8)
    fig.subplots_adjust(left=2.6 / fig.get_figwidth(), bottom=1.3 / fig.get_figheight(), top=1 - 0.4 / fig.get_figheight())
    title = f"{model['name']}: topics x codes (outlined: the topic carries the code)"
    if len(codes) < len(al["codes"]):
        title += f"\n{len(codes)} of {len(al['codes']):,} codes: those a topic carries, then the most correlated with a topic"
    ax.set_title(title, fontsize=9, y=1.0)  # y given: where matplotlib puts it, without measuring the tick labels
    return fig


def heatmap_codes(alignment: Mapping[str, Any], cap: int = HEATMAP_MAX_CODES) -> list[int]:
    """Column indices of the codes the heatmap draws, in codebook order: every code when there
    are at most `cap`; else the codes a topic carries (own topic, split, merged), then the others
    by their highest correlation with any topic (ties: codebook order), `cap` in all."""
    codes = alignment["codes"]
    if len(codes) <= cap:
        return list(range(len(codes)))
    import numpy as np

    sim = np.asarray(alignment["similarity"], dtype=float).reshape(-1, len(codes))
    best = sim.max(axis=0) if sim.shape[0] else np.zeros(len(codes))
    carried = np.array([alignment["status"].get(code) in CARRIED for code in codes])
    order = np.lexsort((np.arange(len(codes)), -best, ~carried))  # carried first, then most correlated
    return sorted(int(j) for j in order[:cap])


def prevalence_figure(model: Mapping[str, Any], field: str) -> Any:
    """Grouped bars: prevalence of each topic per value of `field`, 95% bootstrap whiskers."""
    import numpy as np
    from matplotlib.figure import Figure

    p = model["prevalence_by"][field]
    mean, lo, hi = (np.asarray(p[k]) for k in ("mean", "lo", "hi"))  # (levels, topics)
    n_levels, n_topics = mean.shape
    width = 0.8 / n_levels
    fig = Figure(figsize=(max(7.0, 0.35 * n_topics * max(2, n_levels) ** 0.6 + 2), 3.8))
    ax = fig.subplots()
    x = np.arange(n_topics)
    colors = list(OKABE_ITO) + [f"C{i}" for i in range(max(0, n_levels - len(OKABE_ITO)))]
    for j, level in enumerate(p["levels"]):
        ax.bar(x - 0.4 + width * (j + 0.5), mean[j], width, yerr=[mean[j] - lo[j], hi[j] - mean[j]],
               color=colors[j], label=f"{level} (n={p['n_docs'][j]})", error_kw={"elinewidth": 0.8, "ecolor": "#333"})
    ax.set_xticks(x, labels=[t["display"] for t in model["topics"]], fontsize=8)
    ax.set_ylabel("share of tokens")
    ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=7, ncols=min(4, n_levels), frameon=False, loc="upper left", bbox_to_anchor=(0, -0.1))
    fig.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.3)
    ax.set_title(f"{model['name']}: topic prevalence by {field} (95% bootstrap intervals, documents resampled)", fontsize=9,
                 y=1.0)  # as in heatmap_figure
    return fig


def default_field(prevalence_by: Mapping[str, Any]) -> str | None:
    """The first metadata field with at most 8 values (one palette colour each), else the first."""
    small = [f for f, p in prevalence_by.items() if len(p["levels"]) <= len(OKABE_ITO)]
    fields = small or list(prevalence_by)
    return fields[0] if fields else None


def figure_texts(model: Mapping[str, Any]) -> Iterator[str]:
    """Every text a model's figures show (names, labels, terms, codes, metadata values)."""
    yield model["name"]
    for t in model["topics"]:
        yield from (t["display"], t["label"], *t.get("codes", ()), *t["terms"])
    al = model.get("alignment")
    if al:
        yield from (al["codes"][j] for j in heatmap_codes(al))
    for field, p in (model.get("prevalence_by") or {}).items():
        yield field
        yield from map(str, p["levels"])


@dataclass(frozen=True)
class PlannedFigure:
    """One figure of a run: its file stem (`<folder>/<figure>_<file name>`), which figure
    (top_terms, heatmap, prevalence) and what it draws (:func:`figure_input`)."""

    stem: str
    figure: str
    model: Mapping[str, Any]


def figure_input(figure: str, model: Mapping[str, Any], field: str | None = None) -> dict[str, Any]:
    """The part of a model's explorer data that `figure` draws (`field`: the prevalence
    figure's metadata field): small enough to send to a worker process."""
    topic_keys = ("display", "label", "terms", "weights", "codes")
    return {"name": model["name"],
            "topics": [{k: t[k] for k in topic_keys if k in t} for t in model["topics"]],
            "alignment": model.get("alignment") if figure == "heatmap" else None,
            "prevalence_by": {field: model["prevalence_by"][field]} if figure == "prevalence" and field is not None else {}}


def figure_plan(data: Mapping[str, Any], file_names: Mapping[str, str], folder: str = "figures") -> list[PlannedFigure]:
    """Every figure of every model of the explorer data, in the order they are written: per
    model its top terms, its topic x code heatmap (with a codebook) and its prevalence by the
    default metadata field (:func:`default_field`, when it has one). A file stem that would
    repeat gets a suffix (:func:`topicbook.names.unique_name`)."""
    plan: list[PlannedFigure] = []
    used: set[str] = set()

    def planned(stem: str, figure: str, model: Mapping[str, Any], field: str | None = None) -> None:
        stem = unique_name(stem, used)
        used.add(stem)
        plan.append(PlannedFigure(f"{folder}/{stem}", figure, figure_input(figure, model, field)))

    for model in data["models"]:
        name = file_names[model["name"]]
        planned(f"top_terms_{name}", "top_terms", model)
        if model.get("alignment"):
            planned(f"topic_code_heatmap_{name}", "heatmap", model)
        field = default_field(model.get("prevalence_by") or {})
        if field is not None:
            planned(f"prevalence_{_field_part(field)}_{name}", "prevalence", model, field)
    return plan


def draw_figure(figure: str, model: Mapping[str, Any], formats: Sequence[str]) -> list[bytes]:
    """One figure (`figure`: top_terms, heatmap or prevalence; `model`: its
    :func:`figure_input`), saved in each of `formats`: the files' bytes, in that order."""
    if figure == "top_terms":
        fig = top_terms_figure(model)
    elif figure == "heatmap":
        fig = heatmap_figure(model)
    else:
        fig = prevalence_figure(model, next(iter(model["prevalence_by"])))
    return _saved(fig, formats)


def _draw_in_worker(figure: str, model: Mapping[str, Any], formats: Sequence[str],
                    families: Sequence[str]) -> tuple[list[bytes], tuple[CapturedRecord, ...]]:
    """:func:`draw_figure` in a worker process, under the text settings of the run's process
    (:func:`topicbook.report.figure_text.plain_text`, with the fallback fonts it chose), with
    what it logged."""
    with capture_records() as records, plain_text(families):
        files = draw_figure(figure, model, formats)
    return files, tuple(records)


class StartedFigures:
    """The figures of a run, planned (:func:`figure_plan`) and, given a worker pool, already
    being drawn there (:func:`start_figures`); :func:`write_figures` writes them."""

    def __init__(self, plan: Sequence[PlannedFigure], texts: Sequence[str], formats: Sequence[str],
                 families: Sequence[str] | None = None,
                 futures: Sequence[Future[tuple[list[bytes], tuple[CapturedRecord, ...]]]] = ()) -> None:
        self.plan, self.texts, self.formats = tuple(plan), tuple(texts), tuple(formats)
        self.families, self.futures = families, tuple(futures)

    def drawn(self) -> Iterator[list[bytes]]:
        """Each planned figure's files (bytes per format), in plan order: received from the
        workers (their log records replayed here), or, when none was started, drawn here under
        the caller's text settings (:func:`topicbook.report.figure_text.data_text`, which
        chooses the fallback fonts the workers were given: the same texts, the same installed
        fonts)."""
        if not self.futures:
            for planned in self.plan:
                yield draw_figure(planned.figure, planned.model, self.formats)
            return
        for future in self.futures:
            files, records = future.result()
            replay(records)
            yield files


def start_figures(data: Mapping[str, Any], file_names: Mapping[str, str], pool: WorkerPool | None = None,
                  folder: str = "figures", formats: Sequence[str] = ("png",), *,
                  kinds: Collection[str] | None = None, early: StartedFigures | None = None) -> StartedFigures:
    """Plan the figures of the explorer data (:func:`figure_plan`; `kinds`: only these figures)
    and, with `pool`, submit each to the run's forked workers, so that they are drawn while the
    run's process goes on (same bytes as drawn here: the same text settings and fonts).

    `early`: figures started before (from a result without its re-fits and verdicts,
    :class:`topicbook.report.writer.EarlyReport`); each of them with the same file stem, the
    same input, formats and fonts is taken over instead of being drawn again."""
    plan = [p for p in figure_plan(data, file_names, folder) if kinds is None or p.figure in kinds]
    texts = [text for model in data["models"] for text in figure_texts(model)]
    if pool is None or not plan:
        return StartedFigures(plan, texts, formats)
    families, _ = fallback_fonts("".join(texts))
    drawn_before = {}
    if early is not None and early.families == families and early.formats == tuple(formats):
        drawn_before = {(p.stem, p.figure): (p.model, future) for p, future in zip(early.plan, early.futures, strict=True)}
    futures = []
    for p in plan:
        model, future = drawn_before.get((p.stem, p.figure), (None, None))
        if future is None or model != p.model:
            future = pool.submit(_draw_in_worker, p.figure, p.model, tuple(formats), tuple(families))
        futures.append(future)
    return StartedFigures(plan, texts, formats, families, futures)


def write_figures(data: Mapping[str, Any], write: WriteBytes, file_names: Mapping[str, str],
                  folder: str = "figures", formats: Sequence[str] = ("png",),
                  started: StartedFigures | None = None) -> list[Path]:
    """Every figure for every model of the explorer data, handed to `write` as
    `<folder>/<figure>_<file name>.<ext>` for each of `formats` (png, svg; the run's
    `report.figure_formats`); returns the files.

    `file_names`: each model's safe file name (:func:`topicbook.names.safe_unique_names`), so
    two models never share a figure; a figure name that would still repeat gets a suffix.
    Texts are drawn as plain text (no mathtext, no TeX) with fonts that have their glyphs
    (see :mod:`topicbook.report.figure_text`). `started`: the same figures already planned
    and perhaps being drawn in worker processes (:func:`start_figures` with the same data,
    names, folder and formats); they are drawn here otherwise. Either way the files are
    written here, in plan order."""
    started = started or start_figures(data, file_names, None, folder, formats)
    written: list[Path] = []
    with data_text(started.texts):
        for planned, files in zip(started.plan, started.drawn(), strict=True):
            written.extend(write(f"{planned.stem}.{ext}", content) for ext, content in zip(started.formats, files, strict=True))
    log.info("figures: %d files in %s", len(written), folder)
    return written


SWEEP_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")


def sweep_figure(summary: Sequence[Mapping[str, Any]], measures: Sequence[str]) -> Any:
    """Coherence (each measure), diversity and stability against K per model, with sd bars."""
    import numpy as np
    from matplotlib.figure import Figure

    keys = [f"coherence_{m}" for m in measures] + ["diversity", "stability"]
    fig = Figure(figsize=(4 * len(keys), 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(keys)))
    for ax, key in zip(axes, keys, strict=True):
        for i, model in enumerate(sorted({r["model"] for r in summary})):
            rows = [r for r in summary if r["model"] == model]
            ks = [r["n_topics"] for r in rows]
            values = [r.get(key, np.nan) for r in rows]
            sds = [r.get(f"{key}_sd", 0.0) for r in rows]
            ax.errorbar(ks, values, yerr=sds, marker="o", capsize=3, label=model, color=SWEEP_PALETTE[i % len(SWEEP_PALETTE)])
        ax.set_xlabel("number of topics K")
        ax.set_title(key.replace("_", " "))
        ax.grid(alpha=0.3)
    axes[0].legend()
    return fig


def write_sweep_figure(summary: Sequence[Mapping[str, Any]], measures: Sequence[str], write: WriteBytes) -> list[Path]:
    """sweep.png and sweep.svg, handed to `write` (the sweep folder's writer)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = sweep_figure(summary, measures)
    FigureCanvasAgg(fig)
    paths = []
    for ext in ("png", "svg"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=ext, dpi=150, metadata={"Date": None} if ext == "svg" else None)
        paths.append(write(f"sweep.{ext}", buffer.getvalue()))
    return paths
