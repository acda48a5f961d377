"""The explorer carries the agreement table when human codings exist, and none without."""

import csv
import dataclasses

from conftest import THEMES
from topicbook.config import load_config
from topicbook.pipeline import analyse, fit_all, prepare
from topicbook.report.explorer import explorer_data


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
