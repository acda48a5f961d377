"""The intrusion page: one offline HTML file with the word- and topic-intrusion tasks.

Same rules as the explorer (:mod:`topicbook.report.explorer`): a Content-Security-Policy of
`default-src 'none'`, every asset inlined, Jinja2 autoescaping, the data embedded as JSON with
<, > and & escaped, and every text set with textContent. The page carries only what a rater
sees (:meth:`topicbook.intrusion.TaskSet.page_data`); the answer key is a separate file.
"""

from __future__ import annotations

from topicbook.intrusion import TaskSet
from topicbook.report.explorer import inline_asset, safe_json, template_environment


def render_intrusion_html(tasks: TaskSet) -> str:
    """The page for a task set; answers download as JSON with the run, the set id and the rater."""
    return template_environment().get_template("intrusion.html.j2").render(
        title=f"topicbook: word and topic tasks ({tasks.run})",
        data_json=safe_json(tasks.page_data()),
        css=inline_asset("intrusion.css"),
        js=inline_asset("intrusion.js"),
    )
