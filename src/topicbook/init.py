"""`topicbook init FOLDER`: look at a researcher's folder and write a config that runs.

Three steps, each usable on its own:

- :func:`inspect_folder` reads the folder and returns :class:`Findings`: where the transcripts
  are (the folder itself, or the sub-folder holding most of them) and their file types, the
  speaker-label styles and the likely interviewer with its evidence (the same
  :func:`topicbook.segment.parse_turns` / :func:`~topicbook.segment.decide_roles` a run uses),
  a metadata table and its key column, the language of each document (simplemma's detector,
  data in its wheel), a codebook and codings if the folder holds them, and for a CSV/JSONL
  corpus its id, text and codes columns;
- :func:`config_text` turns the findings into commented YAML, with paths relative to the
  config file;
- :func:`write_config` checks that the text is a valid config and writes it, never replacing
  an existing file unless asked.

A document in another language than most is named in a warning: topicbook uses one language's
stopwords and lemmas for the whole corpus.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from topicbook import __version__
from topicbook.codebook import load_codebook
from topicbook.config import (
    CorpusConfig,
    SegmentConfig,
    SpeakersConfig,
    config_from_dict,
    parse_yaml,
)
from topicbook.errors import InputError, TopicbookError
from topicbook.ingest import read_corpus
from topicbook.ingest.codings import codings_table
from topicbook.ingest.corpus import READERS, TABLE_SUFFIXES, read_table
from topicbook.segment import TIMESTAMP_RE, parse_turns, segment_corpus, speaker_key

log = logging.getLogger(__name__)

# languages with filler lists in topicbook.preprocess; detection is limited to these
DETECTED_LANGUAGES = ("en", "de", "fr", "it", "es", "pt", "nl")
NOT_TRANSCRIPTS = re.compile(r"^(readme|license|licence|changelog|notice|source|copying|authors)\b", re.I)
GENERIC_NAMES = {"transcripts", "transcript", "interviews", "interview", "data", "text", "texts", "original",
                 "corpus", "raw", "files", "documents", "docs", "input"}
METADATA_NAMES = re.compile(r"(meta|participant|demograph|attribute|respondent|cases)", re.I)
CODEBOOK_NAMES = re.compile(r"(codebook|code[_ -]?system|codes?\b|coding[_ -]?frame)", re.I)
ID_NAMES = ("id", "document", "doc_id", "respondent", "respondent_id", "participant", "case", "comment_id", "row_id")
TEXT_NAMES = ("text", "answer", "response", "comment", "comments", "body", "content", "transcript")
CODES_NAMES = ("codes", "code", "labels", "label", "categories", "category", "themes", "tags")
MIN_SEGMENTS_PER_TOPIC = 10
DEFAULT_TOPICS = 10


@dataclass(frozen=True)
class TableGuess:
    """A CSV/JSONL corpus's columns and which hold the id, the text and the human codes."""

    columns: tuple[str, ...]
    id_column: str
    text_column: str
    codes_column: str | None
    rows: int


@dataclass
class Findings:
    """What :func:`inspect_folder` found; paths are absolute."""

    folder: Path
    corpus_path: Path
    kind: str  # "folder" | "table"
    name: str
    file_types: dict[str, int] = field(default_factory=dict)  # ".pdf" -> files
    include: list[str] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    documents: int = 0
    read_problems: list[str] = field(default_factory=list)
    labelled_documents: int = 0
    label_styles: dict[str, int] = field(default_factory=dict)  # style -> turns
    speakers: list[tuple[str, int]] = field(default_factory=list)  # label -> turns, most first
    interviewers: list[str] = field(default_factory=list)
    interviewer_method: str = ""
    interviewer_evidence: list[str] = field(default_factory=list)
    metadata: Path | None = None
    metadata_key: str | None = None
    metadata_matched: int = 0
    metadata_columns: list[str] = field(default_factory=list)
    languages: dict[str, str] = field(default_factory=dict)  # document -> language ("unk": unsure)
    language: str = "en"
    table: TableGuess | None = None
    codebook: Path | None = None
    codebook_codes: int = 0
    codings: Path | None = None
    segments: int = 0
    n_topics: int = DEFAULT_TOPICS
    warnings: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def other_language(self) -> dict[str, str]:
        """Documents detected in another language than the corpus's."""
        return {d: lang for d, lang in self.languages.items() if lang not in (self.language, "unk")}


# --------------------------------------------------------------------------- inspecting


def inspect_folder(path: Path) -> Findings:
    """Look at a folder of transcripts (or one CSV/JSONL table) and say what a config needs."""

    path = Path(path).resolve()
    if not path.exists():
        raise InputError(f"{path.name}: no such folder or file ({path}). Give the folder that holds your transcripts.")
    if path.is_file():
        if not path.name.lower().endswith(TABLE_SUFFIXES):
            raise InputError(f"{path.name}: give a folder of transcripts or one .csv/.tsv/.jsonl table, not a single {path.suffix or 'file'}.")
        return _inspect_table(path, path.parent)
    transcripts = _transcripts_by_folder(path, set(READERS))
    if not transcripts:
        tables = sorted((p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(TABLE_SUFFIXES)
                         and not _is_side_table(p)), key=lambda p: -p.stat().st_size)
        if tables:
            findings = _inspect_table(tables[0], path)
            if len(tables) > 1:
                findings.warnings.append(f"{len(tables)} tables in {path.name}; init used the largest, {tables[0].name}. Set corpus.path to another one if that is wrong.")
            return findings
        raise InputError(f"{path.name}: no transcript ({', '.join(sorted(READERS))}) and no .csv/.jsonl table found. Put one file per interview in the folder.")
    corpus_dir = max(transcripts, key=lambda d: (len(transcripts[d]), -len(d.parts)))
    return _inspect_transcripts(path, corpus_dir, transcripts[corpus_dir])


def _transcripts_by_folder(root: Path, suffixes: set[str], depth: int = 2) -> dict[Path, list[Path]]:
    """Transcript files per folder, for `root` and its sub-folders down to `depth` levels."""
    out: dict[Path, list[Path]] = {}
    folders = [root]
    for _ in range(depth + 1):
        nxt: list[Path] = []
        for folder in folders:
            try:
                entries = sorted(folder.iterdir())
            except OSError:
                continue
            files = [p for p in entries if p.is_file() and p.suffix.lower() in suffixes
                     and not NOT_TRANSCRIPTS.match(p.stem) and not p.name.startswith(("~$", "."))]
            if files:
                out[folder] = files
            nxt.extend(p for p in entries if p.is_dir() and not p.name.startswith((".", "runs")))
        folders = nxt
    return out


def _study_name(path: Path) -> str:
    """A run name from the folder: its own name, or its parent's when it is a generic one."""
    folder = path if path.is_dir() else path.parent
    name = path.stem if path.is_file() else folder.name
    for candidate in [folder, *folder.parents][:3]:
        if candidate.name.casefold() not in GENERIC_NAMES:
            name = candidate.name if candidate != folder or path.is_dir() else name
            break
    return re.sub(r"[^\w.-]+", "-", name).strip("-").lower() or "study"


def _inspect_transcripts(folder: Path, corpus_dir: Path, files: list[Path]) -> Findings:

    suffixes = Counter(p.suffix.lower() for p in files)
    include = sorted(f"*{s}" for s in suffixes)
    findings = Findings(folder, corpus_dir, "folder", _study_name(folder), dict(sorted(suffixes.items())), include)
    findings.ignored_files = sorted(p.name for p in corpus_dir.iterdir()
                                    if p.is_file() and p not in files and not p.name.startswith("."))
    nested = [d for d in _transcripts_by_folder(corpus_dir, set(suffixes), depth=2) if d != corpus_dir]
    if nested:
        findings.warnings.append(f"transcripts in sub-folders of {corpus_dir.name} ({', '.join(sorted(d.name for d in nested)[:3])}) are not read; move them up or use include patterns such as '**/*.txt'.")
    notes = [p.name for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in suffixes and NOT_TRANSCRIPTS.match(p.stem)]
    if notes:
        findings.warnings.append(f"{', '.join(sorted(notes))} in {corpus_dir.name} will be read as a transcript ({', '.join(include)}); move it out of the folder.")
    corpus = read_corpus(CorpusConfig(path=corpus_dir, include=include))
    findings.documents = len(corpus)
    findings.read_problems = list(corpus.warnings)
    seg = segment_corpus(corpus, SpeakersConfig(), SegmentConfig())
    findings.labelled_documents = seg.n_documents_with_labels
    _describe_speakers(findings, corpus, seg)
    findings.segments = len(seg.segments)
    _detect_languages(findings, {d.id: d.text for d in corpus.documents})
    _find_side_files(findings, [corpus_dir, folder] if folder != corpus_dir else [folder], {d.id for d in corpus.documents})
    _finish(findings)
    return findings


def _describe_speakers(findings: Findings, corpus: Any, seg: Any) -> None:

    styles: Counter[str] = Counter()
    speakers: Counter[str] = Counter()
    display: dict[str, str] = {}
    for doc in corpus.documents:
        if doc.is_table_row:
            continue
        for turn in parse_turns(doc.id, doc.text):
            if turn.speaker is None:
                continue
            speakers[turn.speaker] += 1
            display.setdefault(speaker_key(turn.speaker), turn.speaker)
            start = turn.spans[0][0]
            prefix = doc.text[doc.text.rfind("\n", 0, start) + 1:start]
            styles[_label_style(prefix, turn.speaker, TIMESTAMP_RE)] += 1
    findings.label_styles = dict(styles.most_common())
    findings.speakers = speakers.most_common(8)
    roles = seg.roles
    findings.interviewers = sorted(display.get(k, k) for k in roles.interviewers)
    findings.interviewer_method = roles.method
    findings.interviewer_evidence = list(roles.evidence)


def _label_style(prefix: str, label: str, timestamp: re.Pattern[str]) -> str:
    stripped = prefix.strip()
    if timestamp.match(stripped):
        return "[00:12:03] Name:"
    if timestamp.search(stripped):
        return "Name (00:01:02):"
    if len(label) == 1:
        return "Q:/A: (one letter)"
    if label.isupper():
        return "NAME:"
    return "Name:"


def _detect_languages(findings: Findings, texts: dict[str, str], sample_words: int = 3000) -> None:
    """Each document's language by simplemma's dictionary-based detector (no download)."""
    from simplemma import langdetect

    for doc_id, text in texts.items():
        sample = " ".join(text.split()[:sample_words])
        ranked = langdetect(sample, lang=DETECTED_LANGUAGES) if sample else [("unk", 1.0)]
        best, share = ranked[0]
        findings.languages[doc_id] = best if share >= 0.5 else "unk"
    known = Counter(lang for lang in findings.languages.values() if lang != "unk")
    findings.language = known.most_common(1)[0][0] if known else "en"
    other = findings.other_language
    if other:
        shown = ", ".join(f"{d} ({lang})" for d, lang in sorted(other.items())[:5]) + (" ..." if len(other) > 5 else "")
        findings.warnings.append(
            f"corpus.language: {len(other)} of {len(findings.languages)} documents are not in '{findings.language}': {shown}. "
            "topicbook uses one language's stopwords and lemmas for the whole corpus; give those documents a folder and config of their own (corpus.language), or leave them out.")
    if not known:
        findings.warnings.append("corpus.language: the language could not be detected; init wrote 'en'. Set corpus.language (ISO 639-1, e.g. de, fr).")


def _is_side_table(path: Path) -> bool:
    return bool(METADATA_NAMES.search(path.stem) or CODEBOOK_NAMES.search(path.stem) or "coding" in path.stem.lower())


def _find_side_files(findings: Findings, folders: list[Path], doc_ids: set[str]) -> None:
    """Metadata, codebook and codings tables among the files of `folders`."""

    candidates = []
    for folder in folders:
        candidates.extend(sorted(p for p in folder.iterdir() if p.is_file()
                                 and p.suffix.lower() in (".csv", ".tsv", ".xlsx", ".yaml", ".yml", ".qdc", ".qdpx")))
    best_meta: tuple[int, Path, str, list[str]] | None = None
    for path in candidates:
        suffix = path.suffix.lower()
        if suffix in (".qdc", ".qdpx", ".yaml", ".yml", ".xlsx") or CODEBOOK_NAMES.search(path.stem):
            if findings.codebook is None:
                try:
                    book = load_codebook(path)
                except TopicbookError:
                    book = None
                if book is not None:
                    findings.codebook, findings.codebook_codes = path, len(book)
                    if suffix == ".qdpx" and findings.codings is None:
                        findings.codings = path
            continue
        try:
            frame = codings_table(path)
        except TopicbookError:
            continue
        cols = set(frame.columns)
        if {"document", "code"} <= cols and ({"text"} <= cols or {"start", "end"} <= cols):
            findings.codings = findings.codings or path
            continue
        frame = read_table(path)
        if frame.empty:
            continue
        key = next((c for c in ("document", "id", "doc_id") if c in frame.columns), frame.columns[0])
        matched = len(doc_ids & set(frame[key].astype(str)))
        if matched and (best_meta is None or matched > best_meta[0]):
            best_meta = (matched, path, key, [c for c in frame.columns if c != key])
    if best_meta is not None:
        findings.metadata_matched, findings.metadata, findings.metadata_key, findings.metadata_columns = best_meta


def _inspect_table(path: Path, folder: Path) -> Findings:

    frame = read_table(path)
    if frame.empty or not len(frame.columns):
        raise InputError(f"{path.name}: the table has no rows. Give a table with one text per row.")
    findings = Findings(folder, path, "table", _study_name(path), {path.suffix.lower(): 1}, [])
    findings.table = guess_table_columns(frame)
    t = findings.table
    texts = frame[t.text_column].astype(str).tolist()
    findings.documents = int(sum(1 for x in texts if x.strip()))
    findings.segments = findings.documents
    sample = " ".join(texts[:400])
    _detect_languages(findings, {path.name: sample})
    findings.languages = {}
    _finish(findings)
    return findings


def guess_table_columns(frame: Any) -> TableGuess:
    """Which columns of a corpus table hold the id, the text and human codes (by name, else:
    the text is the column with the longest values, the id the first column whose values are
    unique and short)."""
    columns = [str(c) for c in frame.columns]
    lower = {c.casefold(): c for c in columns}
    values = {c: frame[c].fillna("").astype(str) for c in columns}
    mean_len = {c: float(values[c].str.len().mean() or 0) for c in columns}
    text = next((lower[n] for n in TEXT_NAMES if n in lower and mean_len[lower[n]] > 15), None)
    text = text or max(columns, key=lambda c: mean_len[c])
    rest = [c for c in columns if c != text]
    ident = next((lower[n] for n in ID_NAMES if n in lower and lower[n] != text and values[lower[n]].is_unique), None)
    ident = ident or next((c for c in rest if values[c].is_unique and mean_len[c] <= 40), None)
    codes = next((lower[n] for n in CODES_NAMES if n in lower and lower[n] not in (text, ident)), None)
    if ident is None:
        raise InputError(f"table: no column with a unique id per row (columns: {', '.join(columns[:12])}). Add an id column.")
    return TableGuess(tuple(columns), ident, text, codes, len(frame))


def _finish(findings: Findings) -> None:
    """The number of topics and the list of things to check."""
    n = findings.segments
    findings.n_topics = DEFAULT_TOPICS if n >= DEFAULT_TOPICS * MIN_SEGMENTS_PER_TOPIC else max(2, min(DEFAULT_TOPICS, n // MIN_SEGMENTS_PER_TOPIC))
    checks = findings.checks
    if findings.kind == "folder":
        if findings.labelled_documents == 0:
            checks.append("no speaker labels were found: every document is read as one respondent's text (segment.unit: paragraph may suit it better).")
        elif findings.interviewers:
            checks.append(f"speakers.interviewer lists {', '.join(findings.interviewers)}: their turns are left out of the analysis. Is that the interviewer?")
        else:
            checks.append("no interviewer was recognised: every speaker's turns are analysed. List the interviewer's label in speakers.interviewer.")
        if findings.labelled_documents and findings.labelled_documents < findings.documents:
            checks.append(f"{findings.documents - findings.labelled_documents} of {findings.documents} documents have no speaker labels.")
    else:
        t = findings.table
        assert t is not None  # noqa: S101 - set by _inspect_table
        checks.append(f"corpus.id_column '{t.id_column}', text_column '{t.text_column}'" + (f", codes_column '{t.codes_column}'" if t.codes_column else "") + ": the columns init chose.")
    if findings.read_problems:
        checks.append(f"{len(findings.read_problems)} file(s) could not be read: {findings.read_problems[0]}")
    if findings.codebook is None:
        checks.append("no codebook was found: set codebook.path to compare topics with your codes (YAML, CSV, a MAXQDA or QualCoder code system, .qdc or .qdpx), then add the guided model.")
    if findings.codings is not None and findings.codebook is None:
        checks.append(f"{findings.codings.name} looks like codings; they need a codebook, so codings.path is left commented out.")
    checks.append(f"models have {findings.n_topics} topics for {n} segments: try `topicbook sweep` to choose K.")
    checks.append("preprocess.extra_stopwords is empty: add words frequent in your study that say nothing (e.g. the topic of every interview).")


# --------------------------------------------------------------------------- writing


def _y(value: object) -> str:
    """A YAML scalar or flow list on one line."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    return text[:-3].strip() if text.endswith("...") else text


def _rel(path: Path, config_dir: Path) -> str:
    try:
        return Path(os.path.relpath(path, config_dir)).as_posix()
    except ValueError:  # another drive
        return path.as_posix()


def config_text(findings: Findings, config_path: Path) -> str:
    """The commented YAML config for `findings`, paths relative to `config_path`'s folder."""

    here = config_path.resolve().parent
    f = findings
    types = ", ".join(f"{n} {s}" for s, n in f.file_types.items())
    lines = [
        f"# topicbook config written by `topicbook init` (topicbook {__version__}) for {_rel(f.folder, here)}.",
        f"# Check it with `topicbook validate {config_path.name}`, then `topicbook run {config_path.name}`.",
        "# Relative paths are resolved from this file's folder. Every key: README, \"Config reference\".",
        f"name: {_y(f.name)}",
        "seed: 42",
        "",
        "corpus:",
    ]
    if f.kind == "folder":
        lines.append(f"  path: {_y(_rel(f.corpus_path, here))}    # {f.documents} documents ({types})")
        lines.append(f"  include: {_y(f.include)}")
        if f.metadata is not None:
            lines.append(f"  metadata: {_y(_rel(f.metadata, here))}    # key column '{f.metadata_key}': {f.metadata_matched} of {f.documents} documents; {', '.join(f.metadata_columns[:6])}")
    else:
        t = f.table
        assert t is not None  # noqa: S101 - set by _inspect_table
        lines.append(f"  path: {_y(_rel(f.corpus_path, here))}    # {t.rows} rows; columns: {', '.join(t.columns[:10])}")
        lines.append(f"  id_column: {_y(t.id_column)}")
        lines.append(f"  text_column: {_y(t.text_column)}")
        lines.append(f"  codes_column: {_y(t.codes_column)}" + ("    # the human codes of each row" if t.codes_column else "    # a column of human codes, if there is one"))
    known = Counter(v for v in f.languages.values() if v != "unk")
    detected = f"detected in {known[f.language]} of {len(f.languages)} documents" if f.languages else "detected"
    lines.append(f"  language: {f.language}    # {detected}" + (f"; NOT in {f.language}: {', '.join(sorted(f.other_language))}" if f.other_language else ""))
    lines.append("  remove_page_break_repeats: true    # PDF: a line repeated at the top of the next page")
    lines += ["", "speakers:"]
    if f.interviewers:
        lines.append(f"  interviewer: {_y(f.interviewers)}    # found: {f.interviewer_method}; `auto` decides again on each run")
    else:
        lines.append("  interviewer: auto    # no interviewer found; list the label(s), e.g. [Interviewer]")
    lines.append("  keep: respondent    # respondent | all")
    lines += [
        "",
        "segment:",
        "  unit: turn    # turn | paragraph | window",
        "  min_tokens: 15    # shorter turns merge with the same speaker's next one",
        "",
        "preprocess:",
        "  lemmatize: lemma    # lemma | stem | none",
        "  stopwords: true",
        "  filler_words: true",
        "  extra_stopwords: []    # words frequent in your study that say nothing",
        "  phrases: true",
        "  min_df: 2",
        "  max_df: 0.5",
        "  remove_redaction_marks: true    # XXXX, [NAME], [REDACTED]",
        "  remove_transcription_notes: true    # [inaudible], (unintelligible), (laughs), [crosstalk]",
        "  remove_timestamps: true",
        "  deidentify: false    # true: names, e-mails, phones, URLs -> placeholders in every output",
        "",
        "models:",
        "  - type: lda",
        f"    n_topics: {f.n_topics}",
        "  - type: nmf",
        f"    n_topics: {f.n_topics}",
    ]
    guided = ["  - type: lda    # one topic per code of the codebook, seeded by its keywords", "    guided: true", "    extra_topics: 3"]
    lines += guided if f.codebook is not None else [f"#{line[1:]}" if line.startswith("  ") else f"# {line}" for line in guided]
    lines += ["", "codebook:"]
    if f.codebook is not None:
        lines.append(f"  path: {_y(_rel(f.codebook, here))}    # {f.codebook_codes} codes")
    else:
        lines.append("  path: null    # your codebook: .yaml, .csv/.xlsx (MAXQDA, QualCoder), .qdc or .qdpx")
    lines += ["", "codings:"]
    if f.codings is not None and f.codebook is not None:
        lines.append(f"  path: {_y(_rel(f.codings, here))}    # human codings, for agreement figures")
    elif f.codings is not None:
        lines.append(f"  # path: {_y(_rel(f.codings, here))}    # found; needs codebook.path")
        lines.append("  path: null")
    else:
        lines.append("  path: null    # human codings: CSV (quotes or offsets), MAXQDA coded segments, .qdpx, Word comments (.docx)")
    lines += [
        "",
        "evaluate:",
        "  stability_seeds: 3    # re-fits on 90% subsamples; 0 = off (faster)",
        "",
        "report:",
        "  explorer: true",
    ]
    if f.checks or f.warnings:
        lines += ["", "# What to check (from `topicbook init`):"]
        lines += [f"#  - {item}" for item in f.warnings + f.checks]
    return "\n".join(lines) + "\n"


def write_config(folder: Path, out: Path, *, force: bool = False) -> tuple[Path, Findings]:
    """Inspect `folder`, write the config to `out` (refused if it exists, unless `force`) and
    return its path and the findings. The text is checked as a config before it is written."""

    out = Path(out)
    if out.exists() and not force:
        raise InputError(f"{out}: already exists. Use --force to replace it, or --out to write elsewhere.")
    if out.exists() and out.is_dir():
        raise InputError(f"{out}: is a folder. Give a file name for the config, e.g. --out study.yaml.")
    findings = inspect_folder(folder)
    text = config_text(findings, out)
    config_from_dict(parse_yaml(text, out), base_dir=out.resolve().parent, source=out)  # a bug here is ours
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out, findings


def findings_lines(findings: Findings, config: Path) -> list[str]:
    """What `topicbook init` prints: what it found, the warnings, what to check, what next."""
    f = findings
    here = Path.cwd()
    out = [f"Folder: {_rel(f.folder, here)}"]
    if f.kind == "folder":
        types = ", ".join(f"{n} {s}" for s, n in f.file_types.items())
        out.append(f"Transcripts: {_rel(f.corpus_path, here)} ({types}; {f.documents} read) -> include: {', '.join(f.include)}")
        if f.ignored_files:
            out.append(f"  not read: {', '.join(f.ignored_files[:6])}" + (" ..." if len(f.ignored_files) > 6 else ""))
        styles = ", ".join(f"{s} ({n} turns)" for s, n in f.label_styles.items()) or "none"
        out.append(f"Speaker labels: {f.labelled_documents} of {f.documents} documents; styles: {styles}")
        if f.speakers:
            out.append("  speakers: " + ", ".join(f"{s} ({n})" for s, n in f.speakers))
        out.append(f"Interviewer: {', '.join(f.interviewers) or 'none'} [{f.interviewer_method}]")
        out.extend(f"  - {line}" for line in f.interviewer_evidence[:4])
        if f.metadata is not None:
            out.append(f"Metadata: {_rel(f.metadata, here)}, key column '{f.metadata_key}', {f.metadata_matched} of {f.documents} documents; columns: {', '.join(f.metadata_columns)}")
        else:
            out.append("Metadata: none found (a CSV keyed by document id; optional)")
    else:
        t = f.table
        assert t is not None  # noqa: S101 - set by _inspect_table
        out.append(f"Table: {_rel(f.corpus_path, here)}, {t.rows} rows; id: {t.id_column}, text: {t.text_column}, codes: {t.codes_column or 'none'}")
        out.append(f"  other columns (metadata): {', '.join(c for c in t.columns if c not in (t.id_column, t.text_column, t.codes_column)) or 'none'}")
    counts = Counter(v for v in f.languages.values())
    out.append(f"Language: {f.language}" + (" (" + ", ".join(f"{lang}: {n}" for lang, n in counts.most_common()) + " documents)" if counts else ""))
    out.append(f"Codebook: {_rel(f.codebook, here) + f' ({f.codebook_codes} codes)' if f.codebook else 'none found'}")
    out.append(f"Codings: {_rel(f.codings, here) if f.codings else 'none found'}")
    out.append(f"Segments: {f.segments}; models: lda and nmf with {f.n_topics} topics" + (", guided lda" if f.codebook else ""))
    out.extend(f"Warning: {w}" for w in f.warnings)
    out.append(f"Wrote: {config}")
    out.append("Check:")
    out.extend(f"  - {c}" for c in f.checks)
    out.append(f"Next: topicbook validate {config}, then topicbook run {config}")
    return out
