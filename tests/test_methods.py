"""methods.md: every figure it quotes equals the run's JSON (parsed out and compared), on the
planted corpus with codings, a coded sample and scored intrusion tasks, and on the demo."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_run_folder import planted_codings

from conftest import REPO, write_planted_corpus
from topicbook.agreement import SECTIONS
from topicbook.cli import main
from topicbook.config import load_config
from topicbook.intrusion import TaskSet
from topicbook.pipeline import run

NUMBER = r"-?\d+(?:,\d{3})*(?:\.\d+)?"
FIGURE = re.compile(rf"(?P<v>{NUMBER}) \(95% CI (?P<lo>{NUMBER})–(?P<hi>{NUMBER})\)")


def load(folder: Path, name: str) -> dict:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def f3(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def cell(figures: dict, name: str) -> str:
    value, low, high = figures[name], figures["ci_low"].get(name), figures["ci_high"].get(name)
    return f"{f3(value)} (95% CI {f3(low)}–{f3(high)})" if low is not None else f3(value)


def json_numbers(*documents: object) -> set[str]:
    """Every number in the documents, written as methods.md may write it (3 decimals, 2-4 as
    given, thousands separators, percent)."""
    out: set[str] = set()

    def walk(x: object) -> None:
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, bool):
            return
        elif isinstance(x, int):
            out.update({str(x), f"{x:,}"})
        elif isinstance(x, float):
            out.update({f"{x:.3f}", str(x), f"{x:g}", f"{100 * x:.0f}"})

    for doc in documents:
        walk(doc)
    return out


def check_methods(folder: Path) -> str:
    """Compare every figure of folder/methods.md with the run's JSON; returns the text."""
    text = (folder / "methods.md").read_text(encoding="utf-8")
    manifest = load(folder, "manifest.json")
    report = load(folder, "preprocess_report.json")
    evaluation = load(folder, "evaluation.json")
    verdicts = load(folder, "verdicts.json") if (folder / "verdicts.json").is_file() else None
    agreement = load(folder, "agreement.json") if (folder / "agreement.json").is_file() else {}
    intrusion = load(folder, "intrusion.json") if (folder / "intrusion.json").is_file() else None

    # corpus, segments, tokens
    assert f"comprised {report['documents']:,} interview transcripts" in text
    assert f"giving {report['segments']:,} segments, {report['segments_modelled']:,} of which" in text
    tokens = re.search(r"Token counts: (.*?)\. The vocabulary had (\S+) terms", text)
    assert [int(n.replace(",", "")) for n in re.findall(NUMBER, tokens.group(1))] == list(report["tokens_after_step"].values())
    assert int(tokens.group(2).replace(",", "")) == report["vocabulary_size"]
    # models, stability, coherence
    for name, ev in evaluation.items():
        assert f"`{name}`: " in text and re.search(rf"`{re.escape(name)}`: [^;]*K = {ev['n_topics']}\b", text)
        if ev.get("stability"):
            assert f"{f3(ev['stability']['mean'])} (`{name}`)" in text
        measures = ", ".join(f"{k} {f3(v['mean'])}" for k, v in ev["coherence"].items())
        assert f"`{name}` {measures}, diversity {f3(ev['diversity'])}" in text
    assert f"seed {manifest['seed']}." in text
    # codebook comparison: presence, then each model's statuses, as verdicts.json has them
    if verdicts is not None:
        presence = [v["presence"] for v in verdicts["presence"]]
        assert (f"Of the {len(presence)} codes, {presence.count('present')} were present, {presence.count('uncertain')} "
                f"uncertain and {presence.count('absent')} absent.") in text
        assert f"the {verdicts['settings']['presence']['quantile']:g} quantile of the cosines" in text
        for model in verdicts["models"]:
            status = [c["status"] for c in model["codes"]]
            topics = [t["status"] for t in model["topics"]]
            counts = rf"{status.count('own_topic')} own topic, {status.count('split')} split, {status.count('merged')} merged, "
            counts += rf"{status.count('present_without_topic')} present without topic, {status.count('absent')} absent"
            assert re.search(rf"`{re.escape(model['model'])}` {counts}( \(\d+ unstable\))?, with {topics.count('emergent')} "
                             rf"emergent topics?, {topics.count('explained')} explained topics? and {topics.count('procedural')} procedural topics?", text), model["model"]
    # agreement: the table, row by row, and the best method's sentence
    methods = {k: v for k, v in agreement.items() if k not in SECTIONS}  # sample, learned_fit, learning_curve
    columns = ("macro_roc_auc", "length_floor_auc", "macro_f1", "kappa", "macro_krippendorff_alpha")
    main_table = text.split("## Agreement with human coding")[1].split("On ")[0] if methods else ""
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([^`]+)` \| (.*) \|$", main_table, re.M)}
    assert set(rows) == set(methods)
    for name, fig in methods.items():
        assert rows[name].split(" | ") == [str(fig["n_codes"]), *(cell(fig, c) for c in columns)], name
    if methods:
        best = re.search(r"The best method, `([^`]+)`, reached a macro ROC AUC of (.*?), against (.*?) for segment length "
                         r"alone; Krippendorff's alpha .*? was (.*?) and Cohen's kappa (.*?)\. ", text)
        fig = methods[best.group(1)]
        assert fig["macro_roc_auc"] == max(f["macro_roc_auc"] for f in methods.values())
        assert list(best.groups()[1:]) == [cell(fig, c) for c in ("macro_roc_auc", "length_floor_auc",
                                                                     "macro_krippendorff_alpha", "kappa")]
    if "sample" in agreement:
        section = agreement["sample"]
        sample_table = text.split("On ")[-1].split("## ")[0]
        rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([^`]+)` \| (.*) \|$", sample_table, re.M)}
        assert set(rows) == set(section["methods"])
        for name, fig in section["methods"].items():
            assert rows[name].split(" | ") == [str(fig["n_codes"]), *(cell(fig, c) for c in columns)], name
        assert f"On {section['n_segments']} segments of {section['n_documents']} documents coded in full" in text
    # intrusion
    if intrusion is not None:
        for name, kinds in intrusion["models"].items():
            for kind, fig in kinds.items():
                ci = f"95% CI {f3(fig['ci_low'])}–{f3(fig['ci_high'])}; " if fig["ci_low"] is not None else ""
                assert f"{kind} intrusion {f3(fig['precision'])} ({ci}chance {f3(fig['chance'])}; {fig['answers']} answers)" in text, (name, kind)
        assert f"{len(intrusion['raters'])} rater(s)" in text
    # software: versions and the manifest's hash
    versions = manifest["versions"]
    software = text.split("## Software")[1].split("## References")[0]
    for package, version in re.findall(r"([a-zA-Z-]+) (\d+\.\d+(?:\.\d+)*)", software):
        assert versions.get(package, versions.get(package.lower())) == version or (package, version) == ("topicbook", manifest["topicbook"])
    assert hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest() in software
    assert "methods.md" in manifest["outputs"]
    # every decimal number in the text is one of the run's numbers (the counts are checked above)
    known = json_numbers(report, evaluation, agreement, intrusion or {}, manifest["config"],
                         verdicts["settings"] if verdicts else {})

    body = text.split("## Software")[0]
    body = re.sub(r"\b(?:19|20)\d\d\b", "", body)  # years of the citations
    decimals = [n for n in re.findall(rf"(?<![\w.]){NUMBER}(?![\w.])", body) if "." in n]
    assert decimals
    for number in decimals:
        assert number in known, number
    return text


def test_planted_methods_quote_the_runs_figures(tmp_path: Path):
    """Codings of half the documents, a coded sample, and intrusion answers of two raters."""
    config = write_planted_corpus(tmp_path / "project")
    uncoded = config.read_text(encoding="utf-8")
    planted_codings(config)  # every document coded (so the sample is coded in full), 1 stability re-fit
    coded = config.read_text(encoding="utf-8")
    config.write_text(uncoded, encoding="utf-8")
    first, _ = run(load_config(config), out_dir=tmp_path / "runs", name="planted")
    runner = CliRunner()
    assert runner.invoke(main, ["-q", "sample", str(first), "--n", "16", "--format", "csv",
                                "--out", str(tmp_path / "sample.csv")]).exit_code == 0
    config.write_text(coded.replace("  min_positives: 3\n", f"  min_positives: 3\n  sample: {tmp_path / 'sample.json'}\n"),
                      encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=tmp_path / "runs", name="planted")
    text = check_methods(folder)
    assert "## Agreement with human coding" in text and "coded in full (a random sample" in text
    assert "The topics were not rated by people in this run" in text

    assert runner.invoke(main, ["-q", "intrusion", str(folder)]).exit_code == 0
    key = TaskSet.from_key(load(folder / "validation", "intrusion_key.json"))
    for rater, shift in (("A", 0), ("B", 1)):
        (tmp_path / f"{rater}.json").write_text(json.dumps({
            "format": 1, "run": key.run, "set": key.set_id, "rater": rater,
            "answers": {t.id: (t.answer + shift * (i % 2)) % len(t.options) for i, t in enumerate(key.tasks)}}))
    manifest = (folder / "manifest.json").read_bytes()
    result = runner.invoke(main, ["intrusion-score", str(folder), str(tmp_path / "A.json"), str(tmp_path / "B.json")])
    assert result.exit_code == 0, result.output
    assert (folder / "manifest.json").read_bytes() == manifest  # the hash methods.md quotes still holds
    text = check_methods(folder)
    assert "2 rater(s) did word- and topic-intrusion tasks" in text and "Krippendorff's alpha" in text
    references = text.split("## References")[1]
    for author in ("Chang, J.", "Ying, L.", "Carlsen, H. B.", "Krippendorff, K.", "Blei, D. M.", "Lee, D. D."):
        assert author in references


def test_methods_without_codings_claim_no_agreement(planted):
    cfg = load_config(planted)
    cfg = dataclasses.replace(cfg, evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=0),
                              cache=dataclasses.replace(cfg.cache, enabled=False))
    folder, _ = run(cfg, out_dir=planted.parent / "runs", name="planted")
    text = check_methods(folder)
    assert "No human coding was given" in text and "ROC AUC" not in text
    assert "Stability across seeds was not measured" in text and "Greene" not in text


@pytest.mark.slow
def test_demo_methods_quote_the_runs_figures(tmp_path: Path):
    cfg = load_config(REPO / "configs" / "demo.yaml")
    cfg = dataclasses.replace(cfg, cache=dataclasses.replace(cfg.cache, enabled=False))
    folder, _ = run(cfg, out_dir=tmp_path, name="mooc-demo")
    text = check_methods(folder)
    assert "The best method, `learned`" in text  # out-of-fold; the best label-free one is guided_lda_x3+similarity
    assert "5-fold cross-validation grouped by document" in text
