"""The offline explorer page: one self-contained HTML file (Jinja2, autoescaped).

Compute and rendering are split as in pyLDAvis: :mod:`topicbook.report.explorer_data` turns a
finished run into plain JSON-ready data (also written to the run folder as
``explorer_data.json``), and :func:`render_explorer_html` turns that data into the page, so
``topicbook explore RUN_DIR`` can rebuild the page without refitting anything.

All data is embedded as JSON inside ``<script type="application/json">`` with ``<``, ``>`` and
``&`` written as JSON unicode escapes, so no transcript text, vocabulary term or pyLDAvis
string can close the script element; the page's script renders every text with
``textContent``. Every asset (our CSS/JS, d3 and LDAvis from the installed pyLDAvis) is
inlined; the page loads nothing from the network.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from topicbook.errors import TopicbookError
from topicbook.files import replacing
from topicbook.report.explorer_data import DATA_FORMAT, explorer_data
from topicbook.report.ldavis import ldavis_assets
from topicbook.report.run_folder import EXPLORER_DATA, load_run
from topicbook.results import RunResult

__all__ = ["DATA_FILE", "DATA_FORMAT", "rebuild_explorer", "render_explorer", "render_explorer_html",
           "render_ldavis_html", "safe_json"]

log = logging.getLogger(__name__)

DATA_FILE = EXPLORER_DATA


def safe_json(data: Any) -> Markup:
    """JSON that is safe inside a <script> element: <, > and & are \\u escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def _inline(text: str) -> Markup:
    """Script or style text that cannot end its element early."""
    return Markup(text.replace("</script", "<\\/script").replace("</style", "<\\/style").replace("<!--", "<\\!--"))


def inline_asset(name: str) -> Markup:
    return _inline(files("topicbook.report").joinpath("templates").joinpath(name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- render


def template_environment() -> Environment:
    return Environment(loader=PackageLoader("topicbook.report", "templates"),
                       autoescape=select_autoescape(["html", "j2"]))


def render_explorer_html(data: Mapping[str, Any]) -> str:
    """The explorer page for explorer data (from `explorer_data` or explorer_data.json)."""
    assets = ldavis_assets()
    return template_environment().get_template("explorer.html.j2").render(
        title=f"topicbook: {data['run']['name']}",
        data_json=safe_json(data),
        css=inline_asset("explorer.css"),
        js=inline_asset("explorer.js"),
        ldavis_css=_inline(assets["css"]),
        d3_js=_inline(assets["d3"]),
        ldavis_js=_inline(assets["ldavis"]),
    )


def render_ldavis_html(data: Mapping[str, Any], model_name: str) -> str:
    """A standalone, offline pyLDAvis page for one model of the explorer data."""
    model = next(m for m in data["models"] if m["name"] == model_name)
    assets = ldavis_assets()
    return template_environment().get_template("ldavis.html.j2").render(
        title=f"topicbook: {data['run']['name']} · {model_name} intertopic map",
        data_json=safe_json(model["ldavis"]),
        ldavis_css=_inline(assets["css"]),
        d3_js=_inline(assets["d3"]),
        ldavis_js=_inline(assets["ldavis"]),
    )


def render_explorer(result: RunResult, run_name: str) -> str:
    """The explorer HTML for a finished run."""
    return render_explorer_html(explorer_data(result, run_name))


def rebuild_explorer(run_dir: Path) -> Path:
    """Re-render explorer.html of a run folder from its explorer_data.json; returns the page.

    The page replaces the old one only when complete, and only inside the run folder (an
    explorer.html that is a link to elsewhere is refused)."""
    run = load_run(run_dir)
    page = run.path / "explorer.html"
    data = run.explorer_data
    intrusion = run.intrusion
    if intrusion is not None:  # scored by `topicbook intrusion-score` after the run
        data = {**data, "intrusion": intrusion.to_json()}
    html = render_explorer_html(data)
    try:
        with replacing([page], root=run.path, what="the run folder") as (temporary,):
            temporary.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise TopicbookError(f"{page}: cannot write the page ({exc.strerror or exc}). Check that the run folder is writable.") from None
    return page
