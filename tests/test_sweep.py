"""`topicbook sweep`: the grid, the recommended K, identical figures with jobs and on Dask."""

import csv
import json

import pytest
from click.testing import CliRunner

from topicbook.cli import main
from topicbook.errors import TopicbookError
from topicbook.sweep import parse_k_range, recommend_k


def read_rows(folder, name):
    with open(folder / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def sweep(planted, out, *extra):
    result = CliRunner().invoke(main, ["-q", "sweep", str(planted), "--k", "3:5", "--seeds", "2",
                                       "--coherence", "c_v", "--out", str(out), *extra],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return next(p for p in out.iterdir() if p.name.startswith("planted-sweep"))


@pytest.mark.slow
def test_sweep_writes_grid_summary_plots_and_a_recommended_k(planted, tmp_path):
    folder = sweep(planted, tmp_path / "a", "--jobs", "2")
    rows = read_rows(folder, "sweep.csv")
    assert len(rows) == 2 * 3 * 2  # models x K x seeds
    assert {(r["model"], r["n_topics"]) for r in rows} >= {("lda", "3"), ("nmf", "5")}
    summary = read_rows(folder, "sweep_summary.csv")
    assert len(summary) == 6
    info = json.loads((folder / "sweep.json").read_text())
    floats = [{k: (float(v) if k not in ("model",) else v) for k, v in r.items() if v != ""} for r in summary]
    for r in floats:
        r["n_topics"] = int(r["n_topics"])
    assert info["recommended"] == {m: r.to_json() for m, r in recommend_k(floats, "c_v").items()}
    assert info["recommended"]["nmf"]["criteria"] == ["coherence_c_v", "diversity", "stability"]
    nmf = {r["n_topics"]: r for r in floats if r["model"] == "nmf"}
    assert nmf[4]["stability"] > 0.95  # the planted K is stable across seeds and subsamples
    assert (folder / "sweep.png").stat().st_size > 1000 and (folder / "sweep.svg").exists()


@pytest.mark.slow
def test_sweep_figures_do_not_depend_on_jobs_or_dask(planted, tmp_path):
    distributed = pytest.importorskip("distributed")
    one = read_rows(sweep(planted, tmp_path / "one"), "sweep.csv")
    two = read_rows(sweep(planted, tmp_path / "two", "--jobs", "2"), "sweep.csv")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = read_rows(sweep(planted, tmp_path / "dask", "--scheduler", cluster.scheduler_address), "sweep.csv")
    assert one == two == on_dask


def test_k_ranges():
    assert parse_k_range("4:10:3") == [4, 7, 10]
    assert parse_k_range("5,8") == [5, 8]
    with pytest.raises(TopicbookError, match="--k: cannot read '4-10'"):
        parse_k_range("4-10")
    with pytest.raises(TopicbookError, match="every K must be >= 2"):
        parse_k_range("1:3")


def test_recommend_k_uses_scaled_criteria_then_the_smaller_k():
    rows = [{"model": "m", "n_topics": k, "coherence_c_v": c, "diversity": d, "stability": s}
            for k, c, d, s in [(3, 0.9973, 0.53, 0.84), (4, 0.9971, 0.40, 1.0), (5, 0.94, 0.32, 0.88)]]
    assert recommend_k(rows, "c_v")["m"].n_topics == 4  # a rank rule would pick 3
    tied = [{"model": "m", "n_topics": k, "coherence_c_v": 0.5, "diversity": 0.5, "stability": 0.5} for k in (6, 4)]
    assert recommend_k(tied, "c_v")["m"].n_topics == 4


@pytest.mark.slow  # waits out Dask's 10 s connect timeout
def test_unreachable_scheduler_is_a_clear_error(planted, tmp_path):
    result = CliRunner().invoke(main, ["sweep", str(planted), "--k", "3", "--seeds", "1",
                                       "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "cannot reach a Dask scheduler at tcp://127.0.0.1:9" in result.output
