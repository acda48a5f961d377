"""REFI-QDA exchange files: codebooks (.qdc) and projects (.qdpx), read and written.

The REFI-QDA 1.5 standard (https://www.qdasoftware.org) is what NVivo, ATLAS.ti, MAXQDA and
QualCoder import and export:

- ``.qdc``: ``<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid name isCodable>``
  with a ``<Description>`` and nested ``<Code>`` children for the hierarchy;
- ``.qdpx``: a zip holding ``project.qde`` (``urn:QDA-XML:project:1.0``: ``Users``,
  ``CodeBook``, ``Sources/TextSource`` with ``PlainTextSelection`` + ``Coding/CodeRef``) and the
  source texts under ``sources/<guid>.txt``.

The standard has no slot for keywords, exclusions or examples, so topicbook keeps them in the
code's Description after the definition, as one line ``[topicbook] {json}``; QDA software shows
it as text, and topicbook reads it back losslessly. XML is parsed with defusedxml: entity
declarations (XML bombs) and external references are refused with a one-line error.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from topicbook.chars import strip_xml_illegal
from topicbook.codes import Code, Codebook, code_slug
from topicbook.errors import InputError
from topicbook.safezip import check_zip

log = logging.getLogger(__name__)

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
MARKER = "[topicbook] "
_NAMESPACE_UUID = uuid.UUID("6f1c3f38-9a51-4b8e-9d7b-2f0d6f0c0de5")


def code_guid(code_id: str, namespace: str = "") -> str:
    """A stable GUID for a code id (uuid5), so that re-exports keep the same GUIDs."""
    return str(uuid.uuid5(_NAMESPACE_UUID, f"{namespace}/{code_id}"))


# --------------------------------------------------------------------------- parsing


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _line_of(text: str, needle: str) -> int | None:
    pos = text.find(needle)
    return text.count("\n", 0, pos) + 1 if pos >= 0 else None


# expat's reasons for a parse error, in our words
XML_PROBLEMS = {
    "no element found": "the file ends before its XML is complete",
    "mismatched tag": "a closing tag does not match the open element",
    "not well-formed (invalid token)": "a character or name XML does not allow",
    "unclosed token": "a tag or comment is not closed",
    "junk after document element": "text after the last closing tag",
    "syntax error": "no XML element where one should start",
}


def parse_xml(data: bytes | str, name: str) -> ET.Element:
    """Parse XML safely (defusedxml) with one-line errors naming `name` and the line."""
    import defusedxml
    from defusedxml import ElementTree as DET

    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    try:
        return DET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden as exc:
        line = _line_of(text, "<!ENTITY")
        at = f"line {line}: " if line else ""
        raise InputError(f"{name}: {at}the XML declares an entity ('{exc.name}'); topicbook does not expand XML entities (they allow XML bombs and reading local files). Remove the <!DOCTYPE> block and export the file again.") from None
    except defusedxml.ExternalReferenceForbidden as exc:
        line = _line_of(text, "<!DOCTYPE")
        at = f"line {line}: " if line else ""
        raise InputError(f"{name}: {at}the XML refers to an external resource ('{exc.sysid}'); topicbook does not load external references. Remove the reference and export the file again.") from None
    except defusedxml.DefusedXmlException as exc:
        raise InputError(f"{name}: unsafe XML refused ({type(exc).__name__}). Export the file again from your QDA software.") from None
    except ET.ParseError as exc:
        line, col = exc.position
        reason = XML_PROBLEMS.get(str(exc).split(":")[0], "the text there breaks the XML rules")
        raise InputError(f"{name}: line {line}, column {col + 1}: not well-formed XML ({reason}). Fix the XML there or export the file again.") from None


def _description(el: ET.Element) -> str:
    for child in el:
        if _local(child.tag) == "Description":
            return child.text or ""
    return ""


def split_description(text: str) -> tuple[str, dict]:
    """Split a Description into the definition and topicbook's `[topicbook] {json}` extras."""
    head, sep, tail = text.rpartition(MARKER)
    if sep:
        try:
            extra = json.loads(tail)
        except ValueError:
            extra = None
        if isinstance(extra, dict):
            return head.strip(), extra
    return text.strip(), {}


def join_description(code: Code) -> str:
    """The Description text for a code: its definition, then the `[topicbook] {json}` line."""
    extra = {"id": code.id, "keywords": list(code.keywords), "exclude": list(code.exclude),
             "examples": list(code.examples)}
    block = MARKER + json.dumps(extra, ensure_ascii=False)
    return f"{code.definition}\n\n{block}" if code.definition else block


def codes_from_element(codes_el: ET.Element, name: str) -> tuple[tuple[Code, ...], dict[str, str]]:
    """Codes from a `<Codes>` element (nested codes become `parent`), and GUID -> code id."""
    codes: list[Code] = []
    guid_to_id: dict[str, str] = {}
    used: set[str] = set()
    counter = [0]

    def walk(el: ET.Element, parent: str | None, parent_path: str) -> None:
        for child in el:
            if _local(child.tag) != "Code":
                continue
            counter[0] += 1
            n = counter[0]
            code_name = (child.get("name") or "").strip()
            guid = (child.get("guid") or "").strip()
            where = f"{name}: <Code> element {n}" + (f" (guid {guid})" if guid else "")
            if not code_name:
                raise InputError(f"{where} has no name attribute. Give every code a name.")
            if not guid:
                raise InputError(f"{name}: <Code> element {n} ('{code_name}') has no guid attribute. Export the codebook again from your QDA software.")
            if guid in guid_to_id:
                raise InputError(f"{name}: <Code> element {n} ('{code_name}') repeats guid {guid}. Make every guid unique.")
            definition, extra = split_description(_description(child))
            code_id = str(extra.get("id") or "").strip()
            if not code_id:
                code_id = code_slug(code_name) or guid
                if code_id in used:
                    code_id = f"{parent}.{code_id}" if parent else guid
                if code_id in used:
                    code_id = guid
            elif code_id in used:
                raise InputError(f"{name}: <Code> element {n} ('{code_name}') repeats code id '{code_id}'. Make every id unique.")
            used.add(code_id)
            guid_to_id[guid] = code_id
            codes.append(Code(
                id=code_id, name=code_name, definition=definition,
                keywords=_texts(extra.get("keywords"), where), exclude=_texts(extra.get("exclude"), where),
                examples=_texts(extra.get("examples"), where), parent=parent,
            ))
            walk(child, code_id, f"{parent_path}/{code_name}")

    walk(codes_el, None, "")
    return tuple(codes), guid_to_id


def _texts(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: the [topicbook] block in <Description> must hold lists of text. Fix or remove that line.")
    return tuple(v.strip() for v in value if v.strip())


def _find(el: ET.Element, local: str) -> ET.Element | None:
    return next((c for c in el if _local(c.tag) == local), None)


def read_qdc(path: Path) -> Codebook:
    """Read a REFI-QDA codebook (.qdc) file."""
    root = parse_xml(path.read_bytes(), path.name)
    if _local(root.tag) not in ("CodeBook", "Project"):
        raise InputError(f"{path.name}: the root element is <{_local(root.tag)}>, not <CodeBook>. Is this a REFI-QDA codebook (.qdc)?")
    if _local(root.tag) == "Project":
        book = _find(root, "CodeBook")
        root = book if book is not None else root
    codes_el = _find(root, "Codes")
    if codes_el is None or not any(_local(c.tag) == "Code" for c in codes_el):
        raise InputError(f"{path.name}: the codebook has no codes (no <Code> inside <Codes>). Export a codebook with at least one code.")
    codes, _ = codes_from_element(codes_el, path.name)
    return Codebook(root.get("name") or path.stem, codes, path.name)


# --------------------------------------------------------------------------- writing


def _children(codes: Sequence[Code]) -> dict[str | None, list[Code]]:
    kids: dict[str | None, list[Code]] = {}
    for code in codes:
        kids.setdefault(code.parent, []).append(code)
    return kids


def _code_elements(parent_el: ET.Element, codes: Sequence[Code], ns: str, guid_of: dict[str, str],
                   colors: dict[str, str] | None = None, note_refs: Mapping[str, Sequence[str]] | None = None) -> None:
    """<Code> elements for `codes` (nested by parent) under `parent_el`; `note_refs`: code id ->
    GUIDs of the <Note>s the code refers to (.qdpx only: a .qdc code has no notes)."""
    kids = _children(codes)

    def add(el: ET.Element, parent: str | None) -> None:
        for code in kids.get(parent, []):
            attrs = {"guid": guid_of[code.id], "name": code.name, "isCodable": "true"}
            if colors and code.id in colors:
                attrs["color"] = colors[code.id]
            child = ET.SubElement(el, f"{{{ns}}}Code", attrs)
            ET.SubElement(child, f"{{{ns}}}Description").text = join_description(code)
            for note in (note_refs or {}).get(code.id, ()):
                ET.SubElement(child, f"{{{ns}}}NoteRef", {"targetGUID": note})
            add(child, code.id)

    add(parent_el, None)


def codebook_xml(codebook: Codebook, *, origin: str = "topicbook", colors: dict[str, str] | None = None) -> bytes:
    """The REFI-QDA codebook XML (UTF-8 bytes) for a codebook."""
    ET.register_namespace("", CODEBOOK_NS)
    root = ET.Element(f"{{{CODEBOOK_NS}}}CodeBook", {"origin": origin})
    codes_el = ET.SubElement(root, f"{{{CODEBOOK_NS}}}Codes")
    _code_elements(codes_el, codebook.codes, CODEBOOK_NS, {c.id: code_guid(c.id) for c in codebook.codes}, colors)
    _drop_xml_illegal(root)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _drop_xml_illegal(root: ET.Element) -> int:
    """Remove the characters XML 1.0 cannot hold (control characters such as U+0007) from every
    text and attribute of the tree, with one warning saying how many; returns that number.
    ElementTree would write them as they are, and no XML reader (topicbook's included) accepts
    the file then."""
    dropped = 0
    for el in root.iter():
        for part in ("text", "tail"):
            value = getattr(el, part)
            if value:
                clean, n = strip_xml_illegal(value)
                if n:
                    setattr(el, part, clean)
                    dropped += n
        for key, value in el.attrib.items():
            clean, n = strip_xml_illegal(value)
            if n:
                el.set(key, clean)
                dropped += n
    if dropped:
        log.warning("REFI-QDA export: dropped %d control character%s that XML cannot hold (from code names, definitions or document names).",
                    dropped, "" if dropped == 1 else "s")
    return dropped


def write_qdc(codebook: Codebook, path: Path, *, origin: str = "topicbook") -> Path:
    """Write a codebook as a REFI-QDA .qdc file."""
    path.write_bytes(codebook_xml(codebook, origin=origin))
    return path


# --------------------------------------------------------------------------- projects


@dataclass(frozen=True)
class Source:
    """A text source of a project: its GUID, name (document id) and plain text."""

    guid: str
    name: str
    text: str


@dataclass(frozen=True)
class Coding:
    """One coded span: document id, [start, end) character offsets, code id and coder; `note`:
    a text attached to the span (written as a REFI-QDA <Note> the selection refers to)."""

    document: str
    start: int
    end: int
    code: str
    user: str = ""
    note: str = ""


@dataclass(frozen=True)
class QdaProject:
    """What topicbook reads from a .qdpx: the codebook, the text sources, the codings, the users
    (GUID -> name) and `code_notes`: code id -> the texts of the <Note>s the code refers to."""

    codebook: Codebook | None
    sources: tuple[Source, ...]
    codings: tuple[Coding, ...]
    users: dict[str, str]
    code_notes: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _source_name(name: str) -> str:
    """`P1.txt` -> `P1`: the document id topicbook gives the same file."""
    return re.sub(r"\.(txt|md|docx|odt|pdf|rtf|vtt|srt)$", "", name.strip(), flags=re.IGNORECASE)


def read_qdpx(path: Path) -> QdaProject:
    """Read a REFI-QDA project (.qdpx zip): codebook, text sources and their codings."""
    name = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InputError(f"{name}: not a zip archive; a .qdpx project is a zip with project.qde inside. Export the project again.") from None
    with zf:
        check_zip(zf, name, "Export the project again from your QDA software.")
        members = {m.lower(): m for m in zf.namelist()}
        qde = next((m for low, m in members.items() if low.endswith(".qde") and "/" not in low), None)
        if qde is None:
            raise InputError(f"{name}: no project.qde inside the archive. Export the project again from your QDA software.")
        where = f"{name}/{qde}"
        root = parse_xml(_read_member(zf, qde, name), where)
        if _local(root.tag) != "Project":
            raise InputError(f"{where}: the root element is <{_local(root.tag)}>, not <Project>.")
        users = {}
        users_el = _find(root, "Users")
        for u in users_el if users_el is not None else ():
            users[u.get("guid", "")] = u.get("name", "")
        codebook = None
        guid_to_id: dict[str, str] = {}
        book = _find(root, "CodeBook")
        codes_el = _find(book, "Codes") if book is not None else None
        if codes_el is not None and any(_local(c.tag) == "Code" for c in codes_el):
            codes, guid_to_id = codes_from_element(codes_el, where)
            codebook = Codebook(root.get("name") or path.stem, codes, where)
        sources: list[Source] = []
        codings: list[Coding] = []
        sources_el = _find(root, "Sources")
        for i, src in enumerate(sources_el if sources_el is not None else (), 1):
            if _local(src.tag) != "TextSource":
                continue
            text = _source_text(zf, members, src, f"{where}: <TextSource> {i}")
            doc = _source_name(src.get("name") or src.get("guid") or f"source{i}")
            sources.append(Source(src.get("guid", ""), doc, text))
            for j, sel in enumerate(src, 1):
                if _local(sel.tag) != "PlainTextSelection":
                    continue
                at = f"{where}: <TextSource> '{doc}', <PlainTextSelection> {j}"
                try:
                    start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
                except ValueError:
                    raise InputError(f"{at}: startPosition/endPosition must be integers.") from None
                for coding in sel:
                    if _local(coding.tag) != "Coding":
                        continue
                    ref = _find(coding, "CodeRef")
                    target = ref.get("targetGUID", "") if ref is not None else ""
                    if target not in guid_to_id:
                        raise InputError(f"{at}: <CodeRef targetGUID='{target}'> names no code of the project's codebook.")
                    user = users.get(coding.get("creatingUser") or sel.get("creatingUser") or "", "")
                    codings.append(Coding(doc, start, end, guid_to_id[target], user))
        code_notes = _code_notes(root, codes_el, guid_to_id)
    return QdaProject(codebook, tuple(sources), tuple(codings), users, code_notes)


def _code_notes(root: ET.Element, codes_el: ET.Element | None, guid_to_id: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Code id -> the plain texts of the project's <Note>s its <NoteRef>s name (notes without
    text, and references to no note, are left out)."""
    notes_el = _find(root, "Notes")
    texts = {}
    for note in notes_el if notes_el is not None else ():
        content = _find(note, "PlainTextContent") if _local(note.tag) == "Note" else None
        if content is not None and content.text:
            texts[note.get("guid", "")] = content.text
    out: dict[str, tuple[str, ...]] = {}
    for el in codes_el.iter() if codes_el is not None else ():
        if _local(el.tag) != "Code" or el.get("guid", "") not in guid_to_id:
            continue
        found = tuple(texts[ref.get("targetGUID", "")] for ref in el
                      if _local(ref.tag) == "NoteRef" and ref.get("targetGUID", "") in texts)
        if found:
            out[guid_to_id[el.get("guid", "")]] = found
    return out


def _read_member(zf: zipfile.ZipFile, member: str, name: str) -> bytes:
    """One member's bytes; a damaged or truncated archive is a one-line InputError."""
    import zlib

    try:
        return zf.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise InputError(f"{name}: the archive is damaged ({member}: {' '.join(str(exc).split())[:80]}). Export the project again.") from None


def _source_text(zf: zipfile.ZipFile, members: dict[str, str], src: ET.Element, where: str) -> str:
    content = _find(src, "PlainTextContent")
    if content is not None and content.text is not None:
        return content.text
    ref = src.get("plainTextPath") or ""
    if ref.startswith("internal://"):
        rel = ref[len("internal://"):].lower()
        member = members.get(f"sources/{rel}") or members.get(rel)
        if member is None:
            raise InputError(f"{where}: plainTextPath {ref} is missing from the archive.")
        try:
            return _read_member(zf, member, where.split(":")[0]).decode("utf-8-sig").replace("\r\n", "\n")
        except UnicodeDecodeError as exc:
            raise InputError(f"{where}: {member} is not UTF-8 text (byte {exc.start}). Export the project again.") from None
    raise InputError(f"{where}: no PlainTextContent and no internal plainTextPath; topicbook reads text sources only.")


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_qdpx(path: Path, *, sources: Iterable[tuple[str, str]], codebook: Codebook,
               codings: Iterable[Coding], user: str, project_name: str,
               colors: dict[str, str] | None = None, description: str | None = None,
               code_notes: Mapping[str, Sequence[str]] | None = None) -> Path:
    """Write a REFI-QDA project: `sources` are (document id, text); codings name code ids.

    Each coding is created by its own `Coding.user` (for example the researcher's codings
    beside ``topicbook:<run name>``'s suggestions), or by `user` when it names none; the project
    lists every user, and `user` created the project. `description` becomes the project's
    <Description>. A coding's `note` becomes a <Note> under <Notes> that its selection refers
    to (<NoteRef>); codings with the same note text in one document share one note.
    `code_notes`: code id -> texts (memos), each written as a <Note> under <Notes> that the
    code refers to with a <NoteRef>.
    """
    ET.register_namespace("", PROJECT_NS)
    ns = PROJECT_NS
    by_doc: dict[str, list[Coding]] = {}
    user_guids = {user: code_guid(user, "user")}
    for coding in codings:
        by_doc.setdefault(coding.document, []).append(coding)
        if coding.user:
            user_guids.setdefault(coding.user, code_guid(coding.user, "user"))
    root = ET.Element(f"{{{ns}}}Project", {"name": project_name, "origin": "topicbook",
                                            "creatingUserGUID": user_guids[user]})
    users = ET.SubElement(root, f"{{{ns}}}Users")
    for name, guid in user_guids.items():
        ET.SubElement(users, f"{{{ns}}}User", {"guid": guid, "name": name})
    book = ET.SubElement(root, f"{{{ns}}}CodeBook")
    codes_el = ET.SubElement(book, f"{{{ns}}}Codes")
    guid_of = {c.id: code_guid(c.id, project_name) for c in codebook.codes}
    memos = {code_guid(f"{code}/{i}", f"{project_name}/note"): (code, text)
             for code, texts in (code_notes or {}).items() for i, text in enumerate(texts)}
    unknown = sorted({code for code, _ in memos.values() if code not in guid_of})
    if unknown:
        raise InputError(f"{path.name}: notes name unknown codes: {', '.join(unknown[:3])}.")
    note_refs: dict[str, list[str]] = {}
    for guid, (code, _) in memos.items():
        note_refs.setdefault(code, []).append(guid)
    _code_elements(codes_el, codebook.codes, ns, guid_of, colors, note_refs)
    sources_el = ET.SubElement(root, f"{{{ns}}}Sources")
    notes: dict[str, str] = {}  # note guid -> text
    texts: dict[str, str] = {}
    for doc, text in sources:
        guid = code_guid(doc, f"{project_name}/source")
        texts[guid] = text
        src = ET.SubElement(sources_el, f"{{{ns}}}TextSource", {
            "guid": guid, "name": f"{doc}.txt", "plainTextPath": f"internal://{guid}.txt", "creatingUser": user_guids[user]})
        for n, coding in enumerate(sorted(by_doc.pop(doc, []), key=lambda c: (c.start, c.end, c.code, c.user))):
            if coding.code not in guid_of:
                raise InputError(f"{path.name}: coding of '{doc}' names unknown code '{coding.code}'.")
            by = user_guids[coding.user or user]
            sel = ET.SubElement(src, f"{{{ns}}}PlainTextSelection", {
                "guid": code_guid(f"{doc}/{n}/{coding.code}", f"{project_name}/selection"),
                "startPosition": str(coding.start), "endPosition": str(coding.end), "creatingUser": by})
            cod = ET.SubElement(sel, f"{{{ns}}}Coding", {
                "guid": code_guid(f"{doc}/{n}/{coding.code}", f"{project_name}/coding"), "creatingUser": by})
            ET.SubElement(cod, f"{{{ns}}}CodeRef", {"targetGUID": guid_of[coding.code]})
            if coding.note:
                note_guid = code_guid(f"{doc}/{coding.note}", f"{project_name}/note")
                notes[note_guid] = coding.note
                ET.SubElement(sel, f"{{{ns}}}NoteRef", {"targetGUID": note_guid})
    if by_doc:
        raise InputError(f"{path.name}: codings name documents that are not sources: {', '.join(sorted(by_doc)[:3])}.")
    if notes or memos:
        names = {c.id: c.name for c in codebook.codes}
        titled = [(guid, f"Memo: {names[code]}", text) for guid, (code, text) in memos.items()]
        titled += [(guid, f"{project_name} note {n}", text) for n, (guid, text) in enumerate(notes.items(), 1)]
        notes_el = ET.SubElement(root, f"{{{ns}}}Notes")
        for guid, name, text in titled:
            note = ET.SubElement(notes_el, f"{{{ns}}}Note", {"guid": guid, "name": name, "creatingUser": user_guids[user]})
            ET.SubElement(note, f"{{{ns}}}PlainTextContent").text = text
    if description is not None:
        ET.SubElement(root, f"{{{ns}}}Description").text = description
    _drop_xml_illegal(root)
    ET.indent(root)
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        # a fixed member time, so that the same run exports the same bytes
        zf.writestr(_member("project.qde"), xml)
        for guid, text in texts.items():
            zf.writestr(_member(f"sources/{guid}.txt"), text.encode("utf-8"))
    return path

