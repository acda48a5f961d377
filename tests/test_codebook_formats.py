"""Codebook formats (YAML, CSV, REFI-QDA .qdc) and their one-line validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from refi import assert_valid_refi
from topicbook.codebook import Code, Codebook, codebook_to_yaml, load_codebook
from topicbook.errors import InputError
from topicbook.qdc import read_qdc, write_qdc

NESTED = """\
name: Nested
codes:
  - id: work
    name: Work
    definition: Anything about paid work.
    keywords: [job, employer]
  - id: skills
    name: New skills
    definition: Skills gained.
    keywords: [skill, apply at work]
    exclude: [school]
    examples: ["I learned Python"]
    parent: work
  - id: python
    name: Programming
    parent: skills
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_nested_codebook_is_read(tmp_path: Path) -> None:
    book = load_codebook(write(tmp_path, "book.yaml", NESTED))
    assert book.ids() == ["work", "skills", "python"]
    assert book.get("skills").parent == "work"
    assert book.get("skills").keywords == ("skill", "apply at work")
    assert book.get("skills").exclude == ("school",)
    assert book.multiword_keywords() == ["apply at work"]


def test_csv_codebook_reads_same_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "book.csv", "id,name,definition,keywords,parent\nwork,Work,Paid work,job; employer,\nskills,Skills,,skill,work\n")
    book = load_codebook(path)
    assert book.get("work").keywords == ("job", "employer")
    assert book.get("skills").parent == "work"


@pytest.mark.parametrize(("name", "text", "message"), [
    ("dup.yaml", "codes:\n  - {id: a, name: A}\n  - {id: a, name: B}\n",
     "dup.yaml: duplicate code id 'a' (code 2). Make every id unique."),
    ("noname.yaml", "codes:\n  - {id: a}\n",
     "noname.yaml: code 1: code 'a' has no name. Add a `name`."),
    ("parent.yaml", "codes:\n  - {id: a, name: A, parent: zzz}\n",
     "parent.yaml: code 'a' has unknown parent 'zzz'. Use the id of another code, or remove `parent`."),
    ("cycle.yaml", "codes:\n  - {id: a, name: A, parent: b}\n  - {id: b, name: B, parent: a}\n",
     "cycle.yaml: codes form a cycle of parents (a -> b -> a). Break the cycle."),
    ("empty.yaml", "name: x\ncodes: []\n",
     "empty.yaml: the codebook has no codes. Add a `codes:` list with at least one code."),
    ("bad.yaml", "codes:\n  - id: a\n    name: [unclosed\n",
     "bad.yaml: line 4: expected ',' or ']', but got '<stream end>'. Fix the YAML syntax there."),
    ("dup.csv", "id,name\na,A\na,B\n", "dup.csv: duplicate code id 'a' (code 2). Make every id unique."),
    ("noname.csv", "id,name\na,A\nb,\n", "noname.csv: line 3: code 'b' has no name. Add a `name`."),
])
def test_bad_codebooks_give_one_line_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        load_codebook(write(tmp_path, name, text))
    assert str(err.value) == message


def test_yaml_qdc_yaml_round_trip_is_lossless(tmp_path: Path) -> None:
    book = load_codebook(write(tmp_path, "book.yaml", NESTED))
    qdc = write_qdc(book, tmp_path / "book.qdc")
    assert_valid_refi(qdc)
    again = read_qdc(qdc)
    assert {c.id: c for c in again.codes} == {c.id: c for c in book.codes}
    back = load_codebook(write(tmp_path, "back.yaml", codebook_to_yaml(again)))
    assert {c.id: c for c in back.codes} == {c.id: c for c in book.codes}


def test_qdc_nesting_is_the_hierarchy(tmp_path: Path) -> None:
    qdc = write_qdc(load_codebook(write(tmp_path, "book.yaml", NESTED)), tmp_path / "book.qdc")
    assert_valid_refi(qdc)
    text = qdc.read_text(encoding="utf-8")
    assert 'xmlns="urn:QDA-XML:codebook:1.0"' in text
    # python is nested inside skills inside work
    assert text.index('name="Work"') < text.index('name="New skills"') < text.index('name="Programming"')
    assert text.count("</Code>") == 3


def test_foreign_qdc_without_topicbook_block(tmp_path: Path) -> None:
    path = write(tmp_path, "maxqda.qdc", """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="MAXQDA">
  <Codes>
    <Code guid="g1" name="Barriers" isCodable="true" color="#ff0000">
      <Description>Obstacles to learning</Description>
      <Code guid="g2" name="Other" isCodable="true"/>
    </Code>
    <Code guid="g3" name="Motivation" isCodable="true">
      <Code guid="g4" name="Other" isCodable="true"/>
    </Code>
  </Codes>
</CodeBook>""")
    book = read_qdc(path)
    assert book.ids() == ["barriers", "other", "motivation", "motivation.other"]
    assert book.get("barriers").definition == "Obstacles to learning"
    assert book.get("motivation.other").parent == "motivation"


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<CodeBook><Codes><Code guid="a" name="&lol2;"/></Codes></CodeBook>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<CodeBook><Codes><Code guid="a" name="&xxe;"/></Codes></CodeBook>
"""


@pytest.mark.parametrize(("text", "message"), [
    (BOMB, "evil.qdc: line 3: the XML declares an entity ('lol'); topicbook does not expand XML entities (they allow XML bombs and reading local files). Remove the <!DOCTYPE> block and export the file again."),
    (XXE, "evil.qdc: line 2: the XML declares an entity ('xxe'); topicbook does not expand XML entities (they allow XML bombs and reading local files). Remove the <!DOCTYPE> block and export the file again."),
    ("<CodeBook>\n<Codes><Code guid='a' name='x'></Codes></CodeBook>",
     "evil.qdc: line 2, column 34: not well-formed XML (a closing tag does not match the open element). Fix the XML there or export the file again."),
    ("<CodeBook><Codes/></CodeBook>",
     "evil.qdc: the codebook has no codes (no <Code> inside <Codes>). Export a codebook with at least one code."),
    ("<CodeBook><Codes><Code guid='a' name='A'/><Code guid='b'/></Codes></CodeBook>",
     "evil.qdc: <Code> element 2 (guid b) has no name attribute. Give every code a name."),
    ("<CodeBook><Codes><Code guid='a' name='A'/><Code guid='a' name='B'/></Codes></CodeBook>",
     "evil.qdc: <Code> element 2 ('B') repeats guid a. Make every guid unique."),
    ("<Project/>", "evil.qdc: the codebook has no codes (no <Code> inside <Codes>). Export a codebook with at least one code."),
    ("<Html/>", "evil.qdc: the root element is <Html>, not <CodeBook>. Is this a REFI-QDA codebook (.qdc)?"),
])
def test_bad_qdc_files_give_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        load_codebook(write(tmp_path, "evil.qdc", text))
    assert str(err.value) == message


def test_codebook_built_in_code_is_validated() -> None:
    with pytest.raises(InputError, match="duplicate code id 'a'"):
        Codebook("x", (Code("a", "A"), Code("a", "B")))
