"""The explorer carries the agreement table when human codings exist, and none without."""

import csv
import dataclasses

import pytest

from conftest import THEMES
from topicbook.config import load_config
from topicbook.pipeline import analyse, fit_all, prepare
from topicbook.report.explorer_data import explorer_data


def test_agreement_table_from_planted_codings(planted):
    cfg = load_config(planted)
    cfg = dataclasses.replace(cfg, evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=0))
    prepared = prepare(cfg)
    codings = planted.parent / "codings.csv"
    with open(codings, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "text"])
        for seg in prepared.segmentation.segments:
            for code in ("gardening", "music", "cooking"):
                if sum(seg.text.lower().count(w) for w in THEMES[code]) >= 5:
                    writer.writerow([seg.document, code, " ".join(seg.text.split()[:10])])
    without = explorer_data(analyse(prepared, fit_all(prepared)), "planted")
    assert without["agreement"] is None

    cfg = dataclasses.replace(cfg, codings=dataclasses.replace(cfg.codings, path=codings))
    prepared = prepare(cfg)
    data = explorer_data(analyse(prepared, fit_all(prepared)), "planted")
    table = data["agreement"]
    assert {"similarity", "keywords", "nmf_k4", "lda_k4"} <= set(table["methods"])
    assert table["methods"]["similarity"]["macro_roc_auc"] > 0.9
    assert table["methods"]["similarity"]["n_codes"] == 3
    assert set(table["per_code"]["similarity"]) == {"gardening", "music", "cooking"}


def test_only_coded_documents_are_evaluated(planted):
    """Documents without any coding are unknown, not negative: coding half the documents gives
    the same figures as dropping the other half."""
    cfg = load_config(planted)
    cfg = dataclasses.replace(cfg, models=[m for m in cfg.models if m.type == "nmf"],
                              evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=0))
    prepared = prepare(cfg)
    codings = planted.parent / "codings.csv"
    coded_docs = {"doc01", "doc02", "doc03", "doc04"}
    with open(codings, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "text"])
        for seg in prepared.segmentation.segments:
            if seg.document in coded_docs and sum(seg.text.lower().count(w) for w in THEMES["music"]) >= 5:
                writer.writerow([seg.document, "music", " ".join(seg.text.split()[:10])])
    cfg = dataclasses.replace(cfg, codings=dataclasses.replace(cfg.codings, path=codings))
    prepared = prepare(cfg)
    result = analyse(prepared, fit_all(prepared))
    n_coded = sum(1 for s in prepared.dtm.segment_ids if s.split("#")[0] in coded_docs)
    figures = result.agreement.figures["similarity"]
    assert figures.n_segments == n_coded < len(prepared.dtm.segment_ids)
    assert figures.per_code["music"].precision == 1.0


@pytest.mark.slow
def test_holdout_option_reports_on_held_out_documents(planted, tmp_path):
    import json

    from click.testing import CliRunner

    from topicbook.cli import main

    codings = planted.parent / "codings.csv"
    prepared = prepare(load_config(planted))
    with open(codings, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "code", "text"])
        for seg in prepared.segmentation.segments:
            if sum(seg.text.lower().count(w) for w in THEMES["music"]) >= 5:
                writer.writerow([seg.document, "music", " ".join(seg.text.split()[:10])])
    planted.write_text(planted.read_text() + "codings:\n  path: codings.csv\nevaluate:\n  stability_seeds: 0\n")
    result = CliRunner().invoke(main, ["-q", "run", str(planted), "--out", str(tmp_path), "--holdout", "0.25"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in tmp_path.iterdir() if p.name.startswith("planted-")]
    report = json.loads((folder / "codings_report.json").read_text())
    assert len(report["holdout_documents"]) == 2  # 25% of the 8 coded documents
    figures = json.loads((folder / "agreement.json").read_text())["similarity"]
    held = sum(1 for s in prepared.dtm.segment_ids if s.split("#")[0] in report["holdout_documents"])
    assert figures["n_segments"] == held and figures["n_calibration_segments"] == len(prepared.dtm.segment_ids) - held
