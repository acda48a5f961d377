"""The figures draw what the explorer data says, at the cost of few artists."""

from __future__ import annotations

import io

import numpy as np
import pytest

from topicbook.report.figures import OKABE_ITO, top_terms_figure

MODEL = {
    "name": "lda_k3",
    "topics": [
        {"display": "T01", "label": "a", "codes": ["cost"], "terms": ["price", "fee", "money"], "weights": [0.3, 0.2, 0.1]},
        {"display": "T02", "label": "b", "terms": ["time", "week"], "weights": [0.05, 0.04]},
        {"display": "T03", "label": "c", "terms": [], "weights": []},
    ],
}


def png_pixels(fig) -> np.ndarray:  # type: ignore[no-untyped-def]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())))


def test_top_terms_draws_one_bar_per_term_in_one_collection() -> None:
    fig = top_terms_figure(MODEL)
    [ax] = fig.axes
    assert len(ax.patches) == 0  # no artist per bar
    [bars] = ax.collections
    boxes = [path.get_extents() for path in bars.get_paths()]
    assert len(boxes) == 5  # 3 + 2 terms; the empty topic has none
    widths = [round(b.width, 6) for b in boxes]
    assert widths == [0.52, round(0.52 * 2 / 3, 6), round(0.52 / 3, 6), 0.52, round(0.52 * 0.04 / 0.05, 6)]
    assert [round(b.x0, 2) for b in boxes] == [0.42] * 3 + [1.42] * 2  # each panel's left edge
    assert all(round(b.height, 6) == 0.75 for b in boxes)
    colors = bars.get_facecolor()
    assert np.allclose(colors[:3], colors[0]) and not np.allclose(colors[3], colors[0])
    from matplotlib.colors import to_rgba

    assert np.allclose(colors[0], to_rgba(OKABE_ITO[0])) and np.allclose(colors[3], to_rgba(OKABE_ITO[1]))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_top_terms_pixels_equal_barh_bars() -> None:
    """The collection draws exactly what one barh call per panel draws."""
    fig = top_terms_figure(MODEL)
    [ax] = fig.axes
    ax.collections[0].remove()
    for i, t in enumerate(MODEL["topics"]):
        weights = t["weights"]
        if weights:
            ys = [1.6 + j for j in range(len(weights))]
            ax.barh(ys, [0.52 * w / max(weights) for w in weights], left=i + 0.42, height=0.75, color=OKABE_ITO[i])
    assert np.array_equal(png_pixels(top_terms_figure(MODEL)), png_pixels(fig))
