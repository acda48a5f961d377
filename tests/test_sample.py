"""`topicbook sample`: a reproducible random sample for hand coding (CSV, REFI-QDA .qdpx valid
against Project.xsd), and agreement on exactly that sample when its coding comes back."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import THEMES, write_planted_corpus
from refi import assert_valid_refi
from topicbook.cli import main
from topicbook.config import load_config
from topicbook.errors import ConfigError, InputError
from topicbook.pipeline import run
from topicbook.qdc import Coding, read_qdpx, write_qdpx
from topicbook.sampling import SAMPLE_CODE, allocate, draw_sample, read_sample


def theme_of(text: str) -> str | None:
    words = {w.strip(".,").lower() for w in text.split()}
    return next((c for c in ("gardening", "music", "cooking") if words & set(THEMES[c])), None)


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory: pytest.TempPathFactory):
    """The planted corpus run once, without codings: (config, run folder)."""
    root = tmp_path_factory.mktemp("sample")
    config = write_planted_corpus(root / "project")
    config.write_text(config.read_text(encoding="utf-8") + "evaluate:\n  stability_seeds: 0\ncache:\n  enabled: false\n",
                      encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs", name="planted")
    return config, folder


def segment_rows(folder: Path) -> dict[str, dict[str, str]]:
    with open(folder / "segments.csv", encoding="utf-8") as handle:
        return {r["segment_id"]: r for r in csv.DictReader(handle)}


def invoke(*args: str):
    return CliRunner().invoke(main, ["-q", *args], catch_exceptions=False)


def test_draw_sample_is_reproducible_by_seed_and_allocates_proportionally():
    ids = [f"d{i // 10}#{i:04d}" for i in range(100)]
    strata = [s.split("#")[0] for s in ids]
    one = draw_sample(ids, 25, 7, strata=strata, stratify="document")
    assert one == draw_sample(ids, 25, 7, strata=strata, stratify="document")
    assert one.segment_ids != draw_sample(ids, 25, 8, strata=strata, stratify="document").segment_ids
    assert len(one.segment_ids) == 25 and len(set(one.segment_ids)) == 25
    assert list(one.segment_ids) == sorted(one.segment_ids, key=ids.index)  # the run's order
    drawn = {k: n for k, (_, n) in one.allocation.items()}
    assert sorted(drawn.values()) == [2] * 5 + [3] * 5  # 25 over 10 equal strata: largest remainders
    assert all(one.strata[s] == s.split("#")[0] for s in one.segment_ids)
    assert allocate({"a": 70, "b": 20, "c": 10}, 10) == {"a": 7, "b": 2, "c": 1}
    assert allocate({"a": 3, "b": 1}, 10) == {"a": 3, "b": 1}
    assert len(draw_sample(ids, 500, 1).segment_ids) == 100


@pytest.mark.parametrize("stratify", [None, "document", "topic", "code"])
def test_sample_csv_is_reproducible_and_never_overwritten(planted_run, tmp_path: Path, stratify):
    _, folder = planted_run
    extra = ["--stratify", stratify] if stratify else []
    first = invoke("sample", str(folder), "--n", "12", "--format", "csv", "--out", str(tmp_path / "a.csv"), *extra)
    assert first.exit_code == 0, first.output
    again = invoke("sample", str(folder), "--n", "12", "--format", "csv", "--out", str(tmp_path / "b.csv"), *extra)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    other = invoke("sample", str(folder), "--n", "12", "--seed", "99", "--format", "csv", "--out", str(tmp_path / "c.csv"), *extra)
    assert (tmp_path / "c.csv").read_bytes() != (tmp_path / "a.csv").read_bytes()
    assert again.exit_code == other.exit_code == 0
    with open(tmp_path / "a.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["segment_id", "document", "start", "end", "text"] and len(rows) == 12
    record = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert [s["segment_id"] for s in record["segments"]] == [r["segment_id"] for r in rows]
    assert record["seed"] == 7 and record["stratify"] == stratify and record["method"] == "random"
    segments = segment_rows(folder)
    assert all(segments[r["segment_id"]]["text"] == r["text"] for r in rows)
    if stratify:
        assert sum(n for _, n in record["allocation"].values()) == 12
    refused = CliRunner().invoke(main, ["sample", str(folder), "--n", "12", "--format", "csv", "--out", str(tmp_path / "a.csv")])
    assert refused.exit_code == 1 and "a.csv: already exists. Use --force" in refused.output
    assert "Traceback" not in refused.output


def test_sample_qdpx_validates_against_project_xsd_and_marks_every_sampled_span(planted_run, tmp_path: Path):
    _, folder = planted_run
    result = invoke("sample", str(folder), "--n", "10", "--format", "qdpx", "--out", str(tmp_path / "s.qdpx"))
    assert result.exit_code == 0, result.output
    assert_valid_refi(tmp_path / "s.qdpx")  # project.qde against ../shared/refi-qda/Project.xsd
    with zipfile.ZipFile(tmp_path / "s.qdpx") as zf:
        xml = zf.read("project.qde")
    project = read_qdpx(tmp_path / "s.qdpx")
    sample = read_sample(tmp_path / "s.json")
    marks = [c for c in project.codings if c.code == SAMPLE_CODE.id]
    segments = segment_rows(folder)
    expected = sorted((segments[s]["document"], int(a), int(b)) for s in sample.segment_ids
                      for a, b in (p.split("-") for p in segments[s]["spans"].split()))
    assert sorted((c.document, c.start, c.end) for c in marks) == expected
    assert {s.name for s in project.sources} == {segments[s]["document"] for s in sample.segment_ids}
    assert {"gardening", "music", "cooking", "astronomy"} <= {c.id for c in project.codebook.codes}
    assert b'"seed":7' in xml  # the record travels in the project's Description


def test_coded_sample_comes_back_as_its_own_agreement_section(planted_run, tmp_path: Path):
    """A coder codes the sampled spans in QDA software (simulated: by each segment's planted
    theme), the project comes back as codings with codings.sample: agreement.json's `sample`
    section is computed on exactly the sampled segments; the sample marks are not codes."""
    config, folder = planted_run
    assert invoke("sample", str(folder), "--n", "20", "--format", "qdpx", "--out", str(tmp_path / "s.qdpx")).exit_code == 0
    project = read_qdpx(tmp_path / "s.qdpx")
    sources = {s.name: s.text for s in project.sources}
    coded = list(project.codings)  # the marks stay, as a QDA tool would keep them
    for mark in project.codings:
        theme = theme_of(sources[mark.document][mark.start:mark.end])
        if theme:
            coded.append(Coding(mark.document, mark.start, mark.end, theme, "coder"))
    write_qdpx(tmp_path / "coded.qdpx", sources=list(sources.items()), codebook=project.codebook, codings=coded,
               user="coder", project_name="coded")
    config.write_text(config.read_text(encoding="utf-8").replace("cache:\n", f"codings:\n  path: {tmp_path / 'coded.qdpx'}\n"
                      f"  sample: {tmp_path / 's.json'}\n  min_positives: 2\ncache:\n"), encoding="utf-8")
    again, result = run(load_config(config), out_dir=tmp_path / "runs", name="coded")
    data = json.loads((again / "agreement.json").read_text(encoding="utf-8"))
    section = data["sample"]
    sample = read_sample(tmp_path / "s.json")
    assert section["n_segments"] == len(sample.segment_ids) == 20 and section["random"] is True
    assert section["methods"]["similarity"]["n_segments"] == 20
    assert section["methods"]["similarity"]["macro_roc_auc"] > 0.9
    assert set(section["methods"]["similarity"]["ci_low"]) >= {"macro_roc_auc", "kappa"}
    report = json.loads((again / "codings_report.json").read_text(encoding="utf-8"))
    assert report["unknown_codes"] == [] and report["codings"] == len(coded) - len(project.codings)
    # the main figures still cover every segment of the coded documents, uncoded ones as negatives
    assert data["similarity"]["n_segments"] > 20
    from topicbook.report.run_folder import load_run
    loaded = load_run(again)
    assert loaded.sample_agreement == result.agreement.sample.__class__.from_json(section)
    assert "sample" not in loaded.agreement_figures


def test_a_sample_of_other_segments_is_one_line(planted_run, tmp_path: Path):
    config, folder = planted_run
    (tmp_path / "s.json").write_text(json.dumps({"format": 1, "run": "x", "method": "random", "seed": 1,
                                                 "n_requested": 1, "population": 5, "segments": [{"segment_id": "doc01#99999"}]}))
    (tmp_path / "c.csv").write_text("document,code,text\ndoc01,music,guitar\n")
    text = config.read_text(encoding="utf-8").replace("cache:\n", f"codings:\n  path: {tmp_path / 'c.csv'}\n  sample: {tmp_path / 's.json'}\ncache:\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("path: interviews", f"path: {config.parent / 'interviews'}").replace(
        "metadata: metadata.csv", f"metadata: {config.parent / 'metadata.csv'}").replace(
        "path: codebook.yaml", f"path: {config.parent / 'codebook.yaml'}"), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(bad), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: s.json: 1 of the sample's 1 segments are not segments of this run (first: doc01#99999); the sample was "
        "drawn from run 'x' with other segments. Draw the sample again from a run of this config.")
    with pytest.raises(InputError, match="not a topicbook sample"):
        (tmp_path / "t.json").write_text("[]")
        read_sample(tmp_path / "t.json")


@pytest.mark.parametrize("text, message", [
    ("corpus: {path: .}\ncodings: {sample: s.json}\n",
     "'codings.sample' needs the coded sample as codings: set codings.path to the coded export (or remove codings.sample)."),
    ("corpus: {path: .}\nmodels: [{type: nmf, name: sample}]\n",
     "models: the name 'sample' is reserved (agreement.json's section for a hand-coded sample). Give the model another `name`."),
    ("corpus: {path: .}\ncodings: {resamples: -1}\n",
     "'codings.resamples' must be an int in [0, 100000] (bootstrap resamples; 0: no intervals); got -1."),
])
def test_sample_and_interval_settings_are_checked_at_load_time(tmp_path: Path, text: str, message: str):
    (tmp_path / "run.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "run.yaml")
    assert str(info.value) == f"{tmp_path / 'run.yaml'}: {message}"
