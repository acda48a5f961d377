"""The sweep folder of `topicbook sweep`: sweep.csv, sweep_summary.csv, sweep.json and the
sweep figure, written like a run folder (a hidden partial folder renamed when complete)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from topicbook.report.figures import write_sweep_figure
from topicbook.report.run_folder import RunFolderWriter, utc_stamp


def _rounded(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()}


def write_sweep(out_dir: Path, name: str, *, rows: Sequence[Mapping[str, Any]],
                summary: Sequence[Mapping[str, Any]], info: Mapping[str, Any],
                measures: Sequence[str]) -> Path:
    """Write the sweep folder `<out_dir>/<name>-<UTC stamp>` and return it.

    rows: one per fit (sweep.csv, without fit_seconds); summary: one per model and K
    (sweep_summary.csv); info: sweep.json (recommended K, grid, rule, timings).
    """
    folder = RunFolderWriter(out_dir, name, utc_stamp())
    try:
        folder.write_csv("sweep.csv", [_rounded(r) for r in rows], [c for c in rows[0] if c != "fit_seconds"])
        folder.write_csv("sweep_summary.csv", [_rounded(r) for r in summary],
                         [c for c in summary[0] if not c.startswith("fit_seconds")])
        folder.write_json("sweep.json", info)
        write_sweep_figure(summary, measures, folder.write_bytes)
        return folder.commit()
    except BaseException:
        folder.discard()
        raise
