"""The bundled demo: the corpus is what its README says, and the demo config runs."""

import csv
import re

from conftest import REPO
from topicbook.config import load_config
from topicbook.pipeline import prepare


def test_demo_corpus_shape():
    files = sorted((REPO / "corpora" / "mooc-demo" / "interviews").glob("*.txt"))
    assert len(files) == 21
    for f in files:
        words = len(f.read_text(encoding="utf-8").split())
        assert 700 <= words <= 1500, (f.name, words)
    with open(REPO / "corpora" / "mooc-demo" / "metadata.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["document"] for r in rows] == [f.stem for f in files]
    assert len({r["education"] for r in rows}) >= 4 and len({r["country"] for r in rows}) >= 10


def test_demo_prepares_with_the_interviewer_removed():
    prepared = prepare(load_config(REPO / "configs" / "demo.yaml"))
    assert prepared.segmentation.roles.interviewers == {"interviewer"}
    assert all(s.role == "respondent" for s in prepared.segmentation.segments)
    assert len(prepared.corpus) == 21
    assert all(row.usable for row in prepared.keywords)
    assert all(re.fullmatch(r"I\d\d#\d{4}", s.id) for s in prepared.segmentation.segments)
