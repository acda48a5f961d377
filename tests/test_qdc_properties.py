"""Property tests: codebook YAML -> .qdc -> YAML is lossless; quotes are found however they
are cased, spaced or punctuated."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from refi import assert_valid_refi
from topicbook.codebook import Code, Codebook, codebook_to_yaml, load_codebook
from topicbook.codings import find_quote, normalise
from topicbook.qdc import read_qdc, write_qdc

# XML 1.0 text: no control characters or surrogates; leading/trailing space is stripped on read
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn"), blacklist_characters="\r"),
               max_size=40).map(str.strip)
NAME = TEXT.filter(bool)
IDS = st.text(string.ascii_lowercase + string.digits + "_-", min_size=1, max_size=12)


@st.composite
def codebooks(draw: st.DrawFn) -> Codebook:
    ids = draw(st.lists(IDS, min_size=1, max_size=6, unique=True))
    codes = []
    for i, code_id in enumerate(ids):
        parent = draw(st.sampled_from([None, *ids[:i]]))  # parents precede children: no cycles
        codes.append(Code(
            id=code_id, name=draw(NAME), definition=draw(TEXT),
            keywords=tuple(draw(st.lists(NAME, max_size=3))), exclude=tuple(draw(st.lists(NAME, max_size=2))),
            examples=tuple(draw(st.lists(NAME, max_size=2))), parent=parent))
    return Codebook("generated", tuple(codes), "generated")


@settings(max_examples=40, deadline=None)
@given(codebooks())
def test_yaml_qdc_yaml_round_trip(book: Codebook) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        qdc = write_qdc(book, Path(tmp) / "book.qdc")
        assert_valid_refi(qdc)
        again = read_qdc(qdc)
        yaml_path = Path(tmp) / "book.yaml"
        yaml_path.write_text(codebook_to_yaml(again), encoding="utf-8")
        back = load_codebook(yaml_path)
    assert {c.id: c for c in back.codes} == {c.id: c for c in book.codes}


WORD = st.text(string.ascii_letters + "éüß" + string.digits, min_size=1, max_size=8)
PUNCT = st.sampled_from([" ", "  ", "\n", ", ", ". ", " - ", "! ", "... ", " (", ") ", "'", '"'])


@settings(max_examples=100, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=6), st.lists(WORD, max_size=5), st.lists(WORD, max_size=5),
       st.data())
def test_quote_is_found_despite_case_space_and_punctuation(words: list[str], before: list[str],
                                                           after: list[str], data: st.DataObject) -> None:
    seps = [data.draw(PUNCT) for _ in range(len(words) - 1)]
    inner = words[0] + "".join(s + w for s, w in zip(seps, words[1:], strict=True))
    doc = " ".join([*before, "", inner, "", *after])
    quote = " ".join(w.upper() if i % 2 else w.lower() for i, w in enumerate(words))
    span = find_quote(doc, "  " + quote + ".")
    assert span is not None
    assert normalise(doc[span[0]:span[1]]) == normalise(quote)
