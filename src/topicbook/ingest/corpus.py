"""A corpus: documents with ids, text and metadata, read from a folder or a table."""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from topicbook.chars import find_nul
from topicbook.config import CorpusConfig
from topicbook.errors import InputError, TopicbookError
from topicbook.ingest.text import nul_warning

log = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".jsonl", ".csv.gz", ".jsonl.gz", ".tsv")

# Reader per file extension: "module:function", imported on first use so that a user without
# .pdf files never imports pypdf. Each reader takes (path, name) and returns the document text
# with "\n" line ends and, where the format knows speakers, "Speaker: ..." turn lines.
READERS: dict[str, str] = {
    ".txt": "topicbook.ingest.text:read_text_file",
    ".md": "topicbook.ingest.text:read_text_file",
    ".docx": "topicbook.ingest.office:read_docx",
    ".odt": "topicbook.ingest.office:read_odt",
    ".pdf": "topicbook.ingest.pdf:read_pdf",
    ".vtt": "topicbook.ingest.subtitles:read_subtitles",
    ".srt": "topicbook.ingest.subtitles:read_subtitles",
}


@dataclass(frozen=True)
class Document:
    """One source text. Segment spans index into `text` (normalised, "\\n" line ends)."""

    id: str
    text: str
    source: str
    metadata: dict[str, str] = field(default_factory=dict)
    codes: tuple[str, ...] = ()
    is_table_row: bool = False


@dataclass(frozen=True)
class Corpus:
    """Documents in reading order, the input files (for hashing) and what went wrong.

    page_break_repeats: per document id, the lines its PDF repeated at page breaks that were
    dropped (corpus.remove_page_break_repeats; documents with none are absent).
    deidentified_from: per document id, the first character offset at which de-identification
    changed its text (:mod:`topicbook.deidentify`; unchanged documents are absent): character
    offsets into the original text still hold before it, not after.
    """

    documents: tuple[Document, ...]
    root: Path
    files: tuple[Path, ...]
    warnings: tuple[str, ...] = ()
    page_break_repeats: Mapping[str, int] = field(default_factory=dict)
    deidentified_from: Mapping[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.documents)


def reader_for(suffix: str) -> Callable[[Path, str], str] | None:
    """The reader function for a file extension, or None if there is none."""
    target = READERS.get(suffix.lower())
    if target is None:
        return None
    module_name, func_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return None
    return getattr(module, func_name, None)


def read_corpus(cfg: CorpusConfig) -> Corpus:
    """Read the corpus named by the config: a folder of transcripts or one table file."""
    path = cfg.path
    if not path.exists():
        raise InputError(f"corpus.path: {path.name!r} does not exist ({path}). Point corpus.path at a folder of transcripts or a CSV/JSONL table.")
    if path.is_dir():
        corpus = _read_folder(cfg)
    elif path.name.lower().endswith(TABLE_SUFFIXES):
        corpus = _read_table(cfg)
    else:
        raise InputError(f"corpus.path: {path.name} is neither a folder nor a table (.csv, .tsv, .jsonl). Point it at a folder of transcripts or a table.")
    duplicates = identical_documents(corpus)
    if duplicates:
        corpus = dataclasses.replace(corpus, warnings=(*corpus.warnings, duplicates))
    if cfg.metadata is not None:
        corpus = _join_metadata(corpus, cfg.metadata)
    if not corpus.documents:
        if corpus.warnings:
            for warning in corpus.warnings:
                log.info(warning)
            more = f" ({len(corpus.warnings) - 1} more problems: run with -v to see them)" if len(corpus.warnings) > 1 else ""
            raise InputError(f"corpus.path: no readable document in {path.name}. First problem: {corpus.warnings[0]}{more}")
        raise InputError(f"corpus.path: no readable text in {path.name}. Check corpus.include ({', '.join(cfg.include)}) and the files.")
    for warning in corpus.warnings:
        log.warning(warning)
    return corpus


def corpus_files(cfg: CorpusConfig) -> list[Path]:
    """The input files a corpus config reads, in reading order (metadata last), without reading
    them. Files that the include patterns find in the corpus folder through a symbolic link are
    left out unless corpus.follow_symlinks; paths named in the config are taken as named."""
    path = cfg.path
    if path.is_dir():
        files = [f for f in _folder_files(cfg) if cfg.follow_symlinks or not through_link(path, f)]
    elif path.is_file():
        files = [path]
    else:
        files = []
    if cfg.metadata is not None and cfg.metadata.is_file():
        files.append(cfg.metadata)
    return files


def linked_files(cfg: CorpusConfig) -> list[Path]:
    """The matched files of a corpus folder that are not read because they are reached through
    a symbolic link (none when corpus.follow_symlinks is true or the corpus is a table)."""
    if cfg.follow_symlinks or not cfg.path.is_dir():
        return []
    return [f for f in _folder_files(cfg) if through_link(cfg.path, f)]


def _folder_files(cfg: CorpusConfig) -> list[Path]:
    """Every file the include patterns match in the corpus folder, symbolic links included."""
    root = cfg.path
    files: list[Path] = []
    for pattern in cfg.include:
        files.extend(p for p in root.glob(_any_case(pattern)) if p.is_file())
    files = sorted(set(files), key=lambda p: p.relative_to(root).as_posix())
    metadata_file = cfg.metadata.resolve() if cfg.metadata else None
    return [f for f in files if f.resolve() != metadata_file]


def through_link(root: Path, path: Path) -> bool:
    """True when `path` (inside `root`) is a symbolic link or lies in a linked subfolder: it may
    point anywhere on the machine, outside the corpus folder."""
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            return True
    return False


def _link_warning(rel: str) -> str:
    return (f"{rel}: a symbolic link; not read (it may point outside the corpus folder). "
            "Set corpus.follow_symlinks: true to read linked files.")


def _any_case(pattern: str) -> str:
    """A glob pattern whose letters match either case (`*.pdf` also finds `P1.PDF`); patterns
    that already use [...] classes are left as written."""
    if "[" in pattern:
        return pattern
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() and c.lower() != c.upper() else c for c in pattern)


def _reader_options(cfg: CorpusConfig, suffix: str, counts: dict[str, int]) -> dict[str, Any]:
    """Keyword options from the corpus config for the reader of one file type; `counts`
    receives what the reader drops (PDF: `page_break_repeats`)."""
    return {"remove_page_break_repeats": cfg.remove_page_break_repeats, "counts": counts} if suffix.lower() == ".pdf" else {}


def _read_folder(cfg: CorpusConfig) -> Corpus:
    root = cfg.path
    files = _folder_files(cfg)
    documents: list[Document] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    read: list[Path] = []
    repeats: dict[str, int] = {}
    for file in files:
        rel = file.relative_to(root).as_posix()
        if not cfg.follow_symlinks and through_link(root, file):
            warnings.append(_link_warning(rel))
            continue
        read.append(file)
        reader = reader_for(file.suffix)
        if reader is None:
            warnings.append(f"{rel}: no reader for '{file.suffix}' files; skipped. Supported: {', '.join(sorted(READERS))}.")
            continue
        doc_id = Path(rel).with_suffix("").as_posix()
        if doc_id in seen:
            warnings.append(f"{rel}: document id '{doc_id}' is already used by {seen[doc_id]}; skipped. Rename one of the files.")
            continue
        counts: dict[str, int] = {}
        try:
            text = reader(file, rel, **_reader_options(cfg, file.suffix, counts))
        except TopicbookError as exc:
            warnings.append(str(exc))
            continue
        except OSError as exc:  # permission denied, a vanished file, an I/O error
            warnings.append(f"{rel}: cannot be read ({exc.strerror or type(exc).__name__}); skipped. Check that the file is readable.")
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            detail = " ".join(str(exc).split())[:120]
            warnings.append(f"{rel}: cannot be read ({type(exc).__name__}: {detail}); skipped.")
            continue
        if not text.strip():
            warnings.append(f"{rel}: the file is empty; skipped.")
            continue
        nul = find_nul(text)
        if nul is not None:
            warnings.append(nul_warning(rel, *nul))
            continue
        seen[doc_id] = rel
        documents.append(Document(id=doc_id, text=text, source=rel))
        if counts.get("page_break_repeats"):
            repeats[doc_id] = counts["page_break_repeats"]
    return Corpus(tuple(documents), root, tuple(read), tuple(warnings), repeats)


def _check_no_nul(frame: pd.DataFrame, name: str, first_line: int) -> None:
    """Raise InputError for the first cell of a table that holds a NUL character."""
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind in "iufb":
            continue
        hits = values.astype(str).str.contains("\x00", regex=False).to_numpy()
        if hits.any():
            row = int(hits.argmax())
            raise InputError(f"{name}: line {row + first_line}, column '{column}': a NUL character; text never holds one, so the file looks damaged or partly binary. Remove the NUL characters or export the table again.")


def read_table(path: Path) -> pd.DataFrame:
    """A CSV/TSV/JSONL table as strings, with a clear error if it cannot be parsed."""
    name = path.name
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror or type(exc).__name__}). Check that the file is readable.") from None
    if b"\x00" in head and not name.lower().endswith(".gz") and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name}: binary content, not a text table (NUL bytes). Save it as a UTF-8 CSV.")
    try:
        if ".jsonl" in name.lower():
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            sep = "\t" if name.lower().endswith(".tsv") else ","
            frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding_errors="strict")
    except UnicodeDecodeError:
        raise InputError(f"{name}: not UTF-8 text. Re-save the table as UTF-8 CSV.") from None
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{name}: cannot be parsed as a table ({first}). Check the file's format.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    _check_no_nul(frame, name, 1 if ".jsonl" in name.lower() else 2)
    return frame


def _read_table(cfg: CorpusConfig) -> Corpus:
    path = cfg.path
    frame = read_table(path)
    for key, column in (("corpus.id_column", cfg.id_column), ("corpus.text_column", cfg.text_column)):
        if column not in frame.columns:
            raise InputError(f"{path.name}: no column '{column}' (set by {key}). Columns are: {', '.join(frame.columns[:20])}.")
    meta_cols = [c for c in frame.columns if c not in {cfg.id_column, cfg.text_column, cfg.codes_column}]
    documents: list[Document] = []
    warnings: list[str] = []
    seen: set[str] = set()
    n_empty = n_dup = 0
    ids = frame[cfg.id_column].astype(str).tolist()
    texts = frame[cfg.text_column].fillna("").astype(str).tolist()
    codes = frame[cfg.codes_column].fillna("").astype(str).tolist() if cfg.codes_column else None
    meta = frame[meta_cols].fillna("").astype(str).to_dict("records") if meta_cols else [{}] * len(frame)
    for i, (doc_id, text) in enumerate(zip(ids, texts, strict=True)):
        if not text.strip():
            n_empty += 1
            continue
        if doc_id in seen:
            n_dup += 1
            continue
        seen.add(doc_id)
        doc_codes = tuple(c.strip() for c in codes[i].replace(";", ",").split(",") if c.strip()) if codes else ()
        documents.append(
            Document(id=doc_id, text=text.replace("\r\n", "\n"), source=f"{path.name}:{i + 2}", metadata=meta[i], codes=doc_codes, is_table_row=True)
        )
    if n_empty:
        warnings.append(f"{path.name}: {n_empty} rows with empty '{cfg.text_column}' skipped.")
    if n_dup:
        warnings.append(f"{path.name}: {n_dup} rows repeat an id already seen in '{cfg.id_column}'; skipped. Make the ids unique.")
    return Corpus(tuple(documents), path.parent, (path,), tuple(warnings))


def identical_documents(corpus: Corpus) -> str | None:
    """One warning line naming documents with identical text (whitespace aside), or None.

    Files of a folder: any two identical ones (a copy weighs its words twice in every topic).
    Rows of a table: only when every row is the same (short answers such as "Nothing" repeat
    by nature; a table of one repeated text is a broken export).
    """
    groups: dict[str, list[str]] = {}
    for doc in corpus.documents:
        groups.setdefault(" ".join(doc.text.split()), []).append(doc.id)
    copies = [ids for ids in groups.values() if len(ids) > 1]
    if not copies or (corpus.documents[0].is_table_row and len(groups) > 1):
        return None
    fix = "a copy counts its words twice in every topic. Remove the copies, or check how the files were exported."
    if len(groups) == 1:
        ids = copies[0]
        return f"all {len(ids)} documents have identical text ({_quoted(ids)}); {fix}"
    if len(copies) == 1:
        return f"documents {_quoted(copies[0])} have identical text; {fix}"
    first = copies[0]
    return f"{len(copies)} groups of documents have identical text ({sum(map(len, copies))} documents; first: {_quoted(first)}); {fix}"


def _quoted(ids: list[str], shown: int = 3) -> str:
    """'a', 'b' and 'c' (and N more)."""
    names = [f"'{i}'" for i in ids[:shown]]
    text = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    return text + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def _repeated_metadata_rows(frame: pd.DataFrame, key: str, name: str) -> list[str]:
    """Raise InputError when two rows for one document differ (which one is right is the user's
    call); rows that repeat a document with the same values give one warning line."""
    ids = frame[key].astype(str).tolist()
    first_line = 1 if ".jsonl" in name.lower() else 2
    lines: dict[str, list[int]] = {}
    for i, doc_id in enumerate(ids):
        lines.setdefault(doc_id, []).append(i)
    repeats = [(doc_id, rows) for doc_id, rows in lines.items() if len(rows) > 1]
    records = frame.astype(str).to_dict("records") if repeats else []
    same = []
    for doc_id, rows in repeats:
        where = ", ".join(str(r + first_line) for r in rows[:-1]) + f" and {rows[-1] + first_line}"
        if any(records[r] != records[rows[0]] for r in rows[1:]):
            both = "both" if len(rows) == 2 else "all"
            raise InputError(f"{name}: lines {where} are {both} for document '{doc_id}' and differ; metadata needs one row per document, and topicbook cannot tell which is right. Keep one row for '{doc_id}'.")
        same.append((doc_id, where))
    if not same:
        return []
    doc_id, where = same[0]
    more = f" ({len(same) - 1} more documents repeated)" if len(same) > 1 else ""
    return [f"{name}: lines {where} repeat document '{doc_id}' with the same values{more}; one row is used."]


def _join_metadata(corpus: Corpus, path: Path) -> Corpus:
    if not path.is_file():
        raise InputError(f"corpus.metadata: {path.name} does not exist ({path}). Fix the path or remove the key.")
    frame = read_table(path)
    key = next((c for c in ("document", "id", "doc_id") if c in frame.columns), frame.columns[0])
    warnings = list(corpus.warnings)
    warnings += _repeated_metadata_rows(frame, key, path.name)
    rows = {str(r[key]): {k: str(v) for k, v in r.items() if k != key} for r in frame.to_dict("records")}
    known = {d.id for d in corpus.documents}
    unmatched = sorted(set(rows) - known)
    if unmatched:
        warnings.append(f"{path.name}: {len(unmatched)} metadata rows match no document (first: '{unmatched[0]}'); ignored.")
    docs = tuple(
        Document(d.id, d.text, d.source, {**d.metadata, **{str(k): v for k, v in rows.get(d.id, {}).items()}}, d.codes, d.is_table_row)
        for d in corpus.documents
    )
    return dataclasses.replace(corpus, documents=docs, files=corpus.files + (path,), warnings=tuple(warnings))
