"""`topicbook sweep`: the grid, the recommended K, identical figures with jobs and on Dask."""

import csv
import json

import pytest
from click.testing import CliRunner
from test_run_folder import planted_codings

from topicbook.cli import main
from topicbook.errors import TopicbookError
from topicbook.sweep import codes_found, edge_of, parse_k_range, recommend_k


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
    # the planted config has a codebook (no codings): codes_found joins the rule
    assert info["recommended"]["nmf"]["criteria"] == ["coherence_c_v", "diversity", "stability", "codes_found"]
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


def test_a_recommended_k_at_either_end_of_the_range_is_flagged():
    rows = [{"model": "m", "n_topics": k, "coherence_c_v": c, "diversity": 0.5, "stability": 0.5}
            for k, c in [(4, 0.9), (6, 0.5), (8, 0.4)]]
    rec = recommend_k(rows, "c_v")["m"]
    assert (rec.n_topics, rec.edge, rec.widen) == (4, "smallest", "2:8:2")
    assert rec.warning("m") == "m: K = 4 is the smallest K tried, so the best K may lie outside the range. Widen the range: --k 2:8:2."
    rows[2]["coherence_c_v"] = 0.95
    assert recommend_k(rows, "c_v")["m"].to_json() | {"score": None} == {
        "n_topics": 8, "score": None, "criteria": ["coherence_c_v", "diversity", "stability"], "edge": "largest", "widen": "4:12:2"}
    rows[1]["coherence_c_v"] = 0.99
    assert recommend_k(rows, "c_v")["m"].edge is None and recommend_k(rows, "c_v")["m"].warning("m") is None
    assert edge_of(2, [2, 3]) == ("smallest", None)  # nothing below K = 2 to try
    assert edge_of(6, [6, 9, 12]) == ("smallest", "3:12:3")  # the same grid, not below 2
    assert edge_of(5, [5]) == (None, None)


def test_codebook_criteria_join_the_rule():
    rows = [{"model": "m", "n_topics": k, "coherence_c_v": 0.5, "diversity": 0.5, "stability": 0.5, "codes_found": f,
             "match_precision": p} for k, f, p in [(4, 1, 0.2), (6, 3, 0.9), (8, 2, 0.5)]]
    rec = recommend_k(rows, "c_v")["m"]
    assert rec.n_topics == 6 and rec.criteria == ("coherence_c_v", "diversity", "stability", "codes_found", "match_precision")


def test_codes_found_counts_own_topics_and_splits_not_merges():
    from types import SimpleNamespace

    al = SimpleNamespace(matches={"a": 0, "b": 1, "c": 2}, splits={"d": [3, 4]}, merges={2: ["c", "e"]})
    assert codes_found(al) == 3  # a, b (own topics) and d (split); c shares its topic with e


@pytest.mark.slow
def test_sweep_warns_on_an_edge_k_and_writes_codebook_criteria(planted, tmp_path):
    """Two K values: whichever is recommended is at an end of the range. With codings, both
    codebook criteria are columns of sweep.csv and sweep_summary.csv."""
    planted_codings(planted)
    result = CliRunner().invoke(main, ["sweep", str(planted), "--k", "4,6", "--seeds", "2", "--models", "nmf",
                                       "--coherence", "u_mass", "--out", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    folder = next(p for p in tmp_path.iterdir() if p.name.startswith("planted-sweep"))
    info = json.loads((folder / "sweep.json").read_text())
    rec = info["recommended"]["nmf"]
    assert rec["edge"] in ("smallest", "largest") and info["warnings"] == [
        f"nmf: K = {rec['n_topics']} is the {rec['edge']} K tried, so the best K may lie outside the range. Widen the range: --k {rec['widen']}."]
    assert f"Warning: {info['warnings'][0]}" in result.output
    assert "codes_found" in info["rule"] and "match_precision" in info["rule"]
    assert rec["criteria"] == ["coherence_u_mass", "diversity", "stability", "codes_found", "match_precision"]
    summary = read_rows(folder, "sweep_summary.csv")
    assert {"codes_found", "codes_found_sd", "match_precision", "match_precision_sd"} <= set(summary[0])
    planted_k = {r["n_topics"]: r for r in summary}["4"]
    assert float(planted_k["codes_found"]) == 3.0  # the three coded themes, each its own topic
    assert float(planted_k["match_precision"]) > 0.9
    assert {"codes_found", "match_precision"} <= set(read_rows(folder, "sweep.csv")[0])
