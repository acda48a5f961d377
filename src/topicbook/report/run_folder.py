"""The run folder: its one writer and its one reader.

Writing (:class:`RunFolderWriter`): files go into a hidden partial folder beside the target;
:meth:`RunFolderWriter.commit` renames it into place (an atomic rename on one file system). A
crash, Ctrl-C or kill leaves only a ``.partial`` folder, never one that looks finished, and a
run never replaces another: a name clash gets a ``-2``, ``-3``, ... suffix.

Reading (:func:`load_run` -> :class:`RunFolder`): every command after `run` (export, explore,
compare, ...) reads a run through it, never the original corpus. The folder's layout has a
version, `FORMAT`, written as manifest.json's `format` (a manifest without one is format 1, the
layout before documents.jsonl, models.npz, topics.json and scores.npz); a newer or unknown
format is refused in one line. Files are read on first use; a missing or damaged file is one
line naming it.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pydantic_core

from topicbook.agreement import (
    LEARNED,
    LEARNED_FIT,
    LEARNING_CURVE,
    SAMPLE_KEY,
    SECTIONS,
    RunAgreement,
    SampleAgreement,
)
from topicbook.align import Alignment
from topicbook.codebook import Codebook, CodeKeywords, load_codebook
from topicbook.codings import HumanCodings
from topicbook.config import RunConfig, config_from_dict, parse_yaml
from topicbook.errors import ConfigError, InputError, TopicbookError
from topicbook.evaluate import ModelEvaluation
from topicbook.files import contained
from topicbook.ids import parse_topic_id
from topicbook.ingest import Document
from topicbook.interrupts import raise_if_interrupted
from topicbook.intrusion import IntrusionScores
from topicbook.learning import LearnedScores, LearningCurve, Suggestion
from topicbook.metrics import MethodAgreement
from topicbook.models import FittedModel
from topicbook.names import safe_name
from topicbook.preprocess import PreprocessReport
from topicbook.qdc import Coding
from topicbook.report.explorer_data import check_explorer_data
from topicbook.report.manifest import Manifest
from topicbook.segment import Segment
from topicbook.spreadsheet import restore_cell
from topicbook.summarize import TopicSummary
from topicbook.verdicts import VerdictTable

PARTIAL_SUFFIX = ".partial"


def utc_stamp(now: datetime | None = None) -> str:
    """UTC time as used in run folder names: 20261129T101500Z."""
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


class RunFolderWriter:
    """Write files into a partial folder, then commit it as ``<out>/<safe name>-<UTC stamp>``.

    The one place where a run's (and a sweep's) files are written: every target is resolved
    and refused unless it lies inside the partial folder (:func:`topicbook.files.contained`),
    and the folder's name is the safe form of `name` (:func:`topicbook.names.safe_name`), so
    no run name, model name or metadata value can place a file anywhere else.
    """

    def __init__(self, out_dir: Path, name: str, stamp: str | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.name = safe_name(name, what="run name")
        self.stamp = stamp or utc_stamp()
        self.final: Path | None = None
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self.path = Path(_mkdtemp(self.out_dir, f".{self.name}-{self.stamp}-", PARTIAL_SUFFIX))
        except OSError as exc:
            raise _os_error(exc, self.out_dir) from None

    def target(self, relative: str) -> Path:
        """The path of `relative` in the partial folder, its parent folders made; refused
        (TopicbookError) when it would resolve outside the folder. A Ctrl-C that a library
        swallowed is raised here (:mod:`topicbook.interrupts`)."""
        raise_if_interrupted()
        target = contained(self.path, self.path / relative, what="the run folder")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, self.out_dir) from None
        return contained(self.path, target, what="the run folder")  # again: a parent may be a link

    @contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise _os_error(exc, self.out_dir) from None

    def write_text(self, relative: str, text: str) -> Path:
        target = self.target(relative)
        with self._writing():
            target.write_text(text, encoding="utf-8")
        return target

    def write_bytes(self, relative: str, data: bytes) -> Path:
        target = self.target(relative)
        with self._writing():
            target.write_bytes(data)
        return target

    def write_npz(self, relative: str, arrays: Mapping[str, np.ndarray]) -> Path:
        """Arrays into an uncompressed .npz (numbers and fixed-width text only: no pickles)."""
        target = self.target(relative)
        with self._writing(), open(target, "wb") as handle:
            np.savez(handle, allow_pickle=False, **arrays)
        return target

    def write_json(self, relative: str, data: Any) -> Path:
        target = self.target(relative)
        with self._writing():
            target.write_bytes(json_bytes(data))
        return target

    def write_csv(self, relative: str, rows: Iterable[dict], columns: Sequence[str]) -> Path:
        """Stream `rows` (any iterable, e.g. a generator) into a UTF-8 CSV with "\n" line ends."""
        target = self.target(relative)
        with self._writing(), open(target, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        return target

    def write_lines(self, relative: str, lines: Iterable[str]) -> Path:
        """Stream already formatted text lines (each ending in "\n") into a UTF-8 file."""
        target = self.target(relative)
        with self._writing(), open(target, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(lines)
        return target

    def commit(self) -> Path:
        """Rename the partial folder to its final name; returns the final path.

        An interrupt that a library swallowed (Python drops a KeyboardInterrupt raised inside
        a weakref callback) is raised here, just before the rename: no finished folder after
        Ctrl-C (:mod:`topicbook.interrupts`)."""
        base = f"{self.name}-{self.stamp}"
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.path, 0o777 & ~umask)  # mkdtemp made it private (0700)
        for n in range(1, 1000):
            final = contained(self.out_dir, self.out_dir / (base if n == 1 else f"{base}-{n}"), what="the output folder")
            if final.exists():
                continue
            raise_if_interrupted()
            try:
                os.rename(self.path, final)
            except OSError as exc:
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                    continue
                raise _os_error(exc, self.out_dir) from None
            self.final = final
            return final
        raise TopicbookError(f"{self.out_dir}: more than 999 runs named '{base}'. Use another --name.")

    def discard(self) -> None:
        """Remove the partial folder (after an error)."""
        shutil.rmtree(self.path, ignore_errors=True)


def _mkdtemp(parent: Path, prefix: str, suffix: str) -> str:
    return tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent)


def _os_error(exc: OSError, out_dir: Path) -> TopicbookError:
    if exc.errno == errno.ENOSPC:
        return TopicbookError(f"{out_dir}: no space left on the device while writing the run. Free some space or use --out on another disk; no run folder was left.")
    if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        return TopicbookError(f"{out_dir}: cannot write there ({os.strerror(exc.errno)}). Use --out with a writable folder.")
    return TopicbookError(f"{out_dir}: cannot write the run ({exc.strerror or exc}). Check the output folder.")


# The numbers that pydantic-core writes otherwise than Python's repr: with an exponent
# (1e-7, Python 1e-07) or from 0.0000 (0.00001, Python 1e-05).
_FOREIGN_FLOAT = re.compile(rb"-?(?:0\.0000[0-9]*|[0-9]+(?:\.[0-9]+)?e[-+]?[0-9]+)")
_FOREIGN_MARKS = (b"e-", b"e+", b"0.0000")
# Text that the standard library may write otherwise: a non-finite number (which it refuses),
# a None, NaN or infinite dictionary key (it writes null, NaN, Infinity; pydantic-core None, nan, inf)
_STDLIB_MARKS = (b"NaN", b"Infinity", b'"None": ', b'"nan": ', b'"inf": ', b'"-inf": ')


def _python_floats(text: bytes) -> bytes:
    """Indented JSON from pydantic-core with every number that Python writes otherwise
    rewritten as Python's repr of the same value. A number is found by its marks (bytes.find,
    so text without them costs three scans): a token that starts after a space or a line break
    and ends its line (but for a comma) is a value outside any string, since a JSON string
    never holds a raw line break."""
    starts: set[int] = set()
    for mark in _FOREIGN_MARKS:
        at = text.find(mark)
        while at >= 0:
            starts.add(max(text.rfind(b" ", 0, at), text.rfind(b"\n", 0, at)) + 1)
            at = text.find(mark, at + 1)
    if not starts:
        return text
    parts, done = [], 0
    for start in sorted(starts):
        end = text.find(b"\n", start)
        end = len(text) if end < 0 else end
        token = text[start:end - 1] if text[end - 1:end] == b"," else text[start:end]
        if _FOREIGN_FLOAT.fullmatch(token):
            parts += [text[done:start], repr(float(token)).encode()]
            done = start + len(token)
    return b"".join([*parts, text[done:]])


def json_bytes(data: Any) -> bytes:
    """`data` as UTF-8 JSON with 2-space indents and a final newline: byte for byte what
    ``json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False, default=_json_default)``
    gives, written by pydantic-core's serialiser (Rust; the standard library encodes indented
    JSON in pure Python: seconds for a 20 MB alignment.json). The two write some floats
    differently (0.00001 against Python's 1e-05: :func:`_python_floats` rewrites them) and
    None, NaN or infinite dictionary keys; whatever pydantic-core cannot write, or might write
    otherwise (NaN or infinity anywhere, such a key), is left to the standard library, which
    then gives the same text or raises its own error. (pydantic-core also writes what the
    standard library refuses with a TypeError, e.g. tuple keys, sets or dataclasses; nothing
    topicbook writes holds them.)"""
    try:
        text = pydantic_core.to_json(data, indent=2, fallback=_json_default, inf_nan_mode="constants")
    except (pydantic_core.PydanticSerializationError, ValueError, TypeError, RecursionError):
        text = None
    if text is None or any(mark in text for mark in _STDLIB_MARKS):
        return (json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False, default=_json_default) + "\n").encode("utf-8")
    return _python_floats(text) + b"\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return value.as_posix()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# --------------------------------------------------------------------------- reading

FORMAT = 2
MANIFEST = "manifest.json"
CONFIG_FILE = "config.resolved.yaml"
DOCUMENTS = "documents.jsonl"
SEGMENTS = "segments.csv"
MODELS = "models.npz"
TOPICS_JSON = "topics.json"
EVALUATION = "evaluation.json"
ALIGNMENT = "alignment.json"
AGREEMENT = "agreement.json"
CODINGS_REPORT = "codings_report.json"
CODINGS = "codings.csv"  # the placed human codings: document, start, end, code, user
CODING_COLUMNS = ("document", "start", "end", "code", "user")
SCORES = "scores.npz"
SCORE_TABLE = "autocode_scores.csv"
SUGGESTIONS = "suggestions.csv"
PREPROCESS_REPORT = "preprocess_report.json"
KEYWORD_REPORT = "keyword_report.json"
CODEBOOK = "codebook.yaml"
RUN_INPUTS = "run_inputs.json"
EXPLORER_DATA = "explorer_data.json"
INTRUSION = "intrusion.json"  # added later by `topicbook intrusion-score`, the one file a command adds
METHODS = "methods.md"
VERDICTS = "verdicts.json"
VERDICTS_CSV = "verdicts.csv"


def format_spans(spans: Sequence[tuple[int, int]]) -> str:
    """segments.csv's `spans`: "5-38 40-70" (start-end character offsets, in order)."""
    return " ".join(f"{s}-{e}" for s, e in spans)


def parse_spans(text: str) -> tuple[tuple[int, int], ...]:
    """The inverse of :func:`format_spans`; ValueError on anything else."""
    out = []
    for part in text.split():
        start, sep, end = part.partition("-")
        if not sep:
            raise ValueError(part)
        out.append((int(start), int(end)))
    if not out:
        raise ValueError(text)
    return tuple(out)


class RunFolder:
    """A finished run folder, read back: every attribute is read (and checked) on first use.

    manifest, config, documents, segments, vocab, segment_ids (rows of doc_topic), models
    (FittedModel per name), summaries, evaluation, alignments, verdicts, agreement, human_spans,
    preprocess_report, keywords, codebook, explorer_data, learning_curve, suggestions, and `name`
    (the run name) and `format`.
    """

    def __init__(self, path: Path, manifest: Manifest | None) -> None:
        self.path = Path(path)
        self._manifest = manifest

    # -- helpers ---------------------------------------------------------------------------

    def file(self, name: str) -> Path:
        """The path of one of the run's files; a one-line error when it is missing."""
        path = self.path / name
        if not path.is_file():
            older = f" (this run folder has format {self.format}; this topicbook writes {FORMAT})" if self._manifest is not None and self.format < FORMAT else ""
            raise InputError(f"{path}: not found{older}. Run `topicbook run` again to write a complete run folder.")
        return path

    def _json(self, name: str) -> Any:
        path = self.file(name)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: not valid JSON ({exc}). Run `topicbook run` again to write it.") from None

    def _parse(self, name: str, build: Any) -> Any:
        """`build()` with any missing key or wrong value reported as one line naming the file."""
        try:
            return build()
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            what = f"no {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
            raise InputError(f"{self.path / name}: incomplete or damaged ({what}). Run `topicbook run` again to write it.") from None

    def _npz(self, name: str) -> Mapping[str, np.ndarray]:
        path = self.file(name)
        try:
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a readable .npz file ({exc}). Run `topicbook run` again to write it.") from None

    # -- the files -------------------------------------------------------------------------

    @property
    def manifest(self) -> Manifest:
        """manifest.json as a :class:`topicbook.report.manifest.Manifest`."""
        if self._manifest is None:
            raise InputError(f"{self.path / MANIFEST}: not found; is this a topicbook run folder? Run `topicbook run` first.")
        return self._manifest

    @property
    def format(self) -> int:
        return int(self.manifest.format)

    @property
    def name(self) -> str:
        return str(self.manifest.run_name)

    @cached_property
    def config(self) -> RunConfig:
        """The run's resolved config (relative paths as recorded, resolved from the config's
        folder as run_inputs.json records it; they need not exist any more)."""
        path = self.file(CONFIG_FILE)
        base = self.path
        inputs = self.path / RUN_INPUTS
        if inputs.is_file():
            recorded = self._json(RUN_INPUTS).get("config")
            if recorded:
                base = (self.path / recorded).parent
        try:
            data = parse_yaml(path.read_text(encoding="utf-8"), path)
        except ConfigError as exc:
            raise InputError(str(exc)) from None
        return config_from_dict(data, base_dir=base.resolve())

    @cached_property
    def documents(self) -> tuple[Document, ...]:
        """The documents' (de-identified) texts and metadata, in reading order."""
        path = self.file(DOCUMENTS)
        out = []
        with path.open(encoding="utf-8") as handle:
            for i, line in enumerate(handle, 1):
                try:
                    rec = json.loads(line)
                    out.append(Document(id=rec["id"], text=rec["text"], source=rec.get("source", ""),
                                        metadata=dict(rec.get("metadata", {})), codes=tuple(rec.get("codes", ())),
                                        is_table_row=bool(rec.get("is_table_row", False))))
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise InputError(f"{path}: line {i}: not a document record ({type(exc).__name__}: {exc}). Run `topicbook run` again to write it.") from None
        return tuple(out)

    @cached_property
    def segments(self) -> tuple[Segment, ...]:
        """Every analysis segment with its spans into the documents' texts."""
        path = self.file(SEGMENTS)
        metadata = {d.id: d.metadata for d in self.documents}
        out = []
        with path.open(encoding="utf-8", newline="") as handle:
            for i, row in enumerate(csv.DictReader(handle), 2):
                try:
                    out.append(Segment(row["segment_id"], row["document"], row["speaker"] or None, row["role"],
                                       parse_spans(row["spans"]), row["text"], row["question"] or None,
                                       metadata.get(row["document"], {}),
                                       tuple(int(n) for n in (row.get("answer_starts") or "").split())))
                except (KeyError, ValueError, TypeError) as exc:
                    raise InputError(f"{path}: line {i}: not a segment row ({type(exc).__name__}: {exc}). Run `topicbook run` again to write it.") from None
        return tuple(out)

    @cached_property
    def _arrays(self) -> Mapping[str, np.ndarray]:
        return self._npz(MODELS)

    @property
    def vocab(self) -> tuple[str, ...]:
        """The terms of topic_term's columns."""
        return self._parse(MODELS, lambda: tuple(str(t) for t in self._arrays["vocab"]))

    @property
    def segment_ids(self) -> tuple[str, ...]:
        """The segments of doc_topic's rows (segments with tokens left after preprocessing)."""
        return self._parse(MODELS, lambda: tuple(str(t) for t in self._arrays["segment_ids"]))

    @cached_property
    def models(self) -> dict[str, FittedModel]:
        """Per model name: its doc_topic (n_segments x n_topics) and topic_term (n_topics x n_terms)."""
        info = self.manifest.models
        evaluation = self.evaluation

        def build() -> dict[str, FittedModel]:
            out = {}
            for i, name in enumerate(str(n) for n in self._arrays["model_names"]):
                meta = info[name]
                seeded = {parse_topic_id(t): c for t, c in meta.seeded_topics.items()}
                stats = dict(evaluation[name].fit_stats) if name in evaluation else {}
                out[name] = FittedModel(name=name, type=meta.type, doc_topic=self._arrays[f"doc_topic_{i}"],
                                        topic_term=self._arrays[f"topic_term_{i}"], params=dict(meta.params),
                                        seeded_codes=seeded, fit_stats=stats)
            return out

        return self._parse(MODELS, build)

    @cached_property
    def summaries(self) -> dict[str, tuple[TopicSummary, ...]]:
        data = self._json(TOPICS_JSON)
        return self._parse(TOPICS_JSON, lambda: {m: tuple(TopicSummary.from_json(t) for t in ts) for m, ts in data.items()})

    @cached_property
    def evaluation(self) -> dict[str, ModelEvaluation]:
        data = self._json(EVALUATION)
        return self._parse(EVALUATION, lambda: {m: ModelEvaluation.from_json(e) for m, e in data.items()})

    @cached_property
    def alignments(self) -> dict[str, Alignment]:
        """Per model, its topic x code alignment ({} for a run without a codebook)."""
        if not (self.path / ALIGNMENT).is_file() and self.codebook is None:
            return {}
        data = self._json(ALIGNMENT)
        return self._parse(ALIGNMENT, lambda: {m: Alignment.from_json(m, a) for m, a in data.items()})

    @cached_property
    def verdicts(self) -> VerdictTable | None:
        """verdicts.json: presence per code, structure per model and, with codings, the verdicts'
        own scores; None for a run without a codebook (or written before verdicts existed: its
        manifest does not list the file)."""
        if VERDICTS not in self.manifest.outputs:
            return None
        data = self._json(VERDICTS)
        return self._parse(VERDICTS, lambda: VerdictTable.from_json(data))

    @cached_property
    def agreement_figures(self) -> dict[str, MethodAgreement] | None:
        """agreement.json alone (None when the run had no human codings)."""
        if not (self.path / AGREEMENT).is_file():
            return None
        data = self._json(AGREEMENT)
        return self._parse(AGREEMENT, lambda: {m: MethodAgreement.from_json(f) for m, f in data.items() if m not in SECTIONS})

    @cached_property
    def sample_agreement(self) -> SampleAgreement | None:
        """agreement.json's `sample` section (agreement on a hand-coded random sample), or None."""
        if not (self.path / AGREEMENT).is_file():
            return None
        data = self._json(AGREEMENT)
        if SAMPLE_KEY not in data:
            return None
        return self._parse(AGREEMENT, lambda: SampleAgreement.from_json(data[SAMPLE_KEY]))


    @cached_property
    def learning_curve(self) -> LearningCurve | None:
        """agreement.json's learning curve of `learned` (None without one)."""
        if not (self.path / AGREEMENT).is_file():
            return None
        data = self._json(AGREEMENT)
        if LEARNING_CURVE not in data:
            return None
        return self._parse(AGREEMENT, lambda: LearningCurve.from_json(data[LEARNING_CURVE]))

    @cached_property
    def suggestions(self) -> tuple[Suggestion, ...]:
        """suggestions.csv: the segments to code next (() for a run without `learned`)."""
        path = self.path / SUGGESTIONS
        if not path.is_file():
            return ()

        def build() -> tuple[Suggestion, ...]:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = [{k: restore_cell(v) for k, v in row.items()} for row in csv.DictReader(handle)]
            return tuple(Suggestion(int(r["rank"]), r["segment_id"], r["document"], r["code"], r["reason"],
                                    float(r["utility"]), float(r["uncertainty"]), float(r["score"]), float(r["threshold"]))
                         for r in rows)

        return self._parse(SUGGESTIONS, build)

    @cached_property
    def agreement(self) -> RunAgreement | None:
        """Code scores per method (scores.npz) and, with human codings, the agreement figures
        (agreement.json) and the codings (codings_report.json); None without a codebook."""
        if self.codebook is None:
            return None
        arrays = self._npz(SCORES)

        def build() -> RunAgreement:
            methods = [str(m) for m in arrays["methods"]]
            code_ids = tuple(str(c) for c in arrays["code_ids"])
            segment_ids = tuple(str(s) for s in arrays["segment_ids"])
            scores = {m: arrays[f"score_{i}"] for i, m in enumerate(methods)}
            thresholds = {m: arrays[f"threshold_{i}"] for i, m in enumerate(methods)}
            if "labels" not in arrays:
                return RunAgreement(code_ids, segment_ids, scores, thresholds)
            figures = self.agreement_figures or {}
            report = self._json(CODINGS_REPORT)
            codings = HumanCodings.from_json(report, labels=arrays["labels"], segment_ids=segment_ids, code_ids=code_ids,
                                             spans=self.human_spans)
            coded = arrays.get("coded")
            learned, prior, group_column = None, "", None
            if LEARNED in scores and "groups" in arrays and coded is not None:
                fit = self._json(AGREEMENT)[LEARNED_FIT]
                learned = LearnedScores.from_fit_json(fit, segment_ids=segment_ids, code_ids=code_ids,
                                                      scores=scores[LEARNED], coded=coded,
                                                      groups=[str(g) for g in arrays["groups"]])
                prior, group_column = str(fit["prior"]), (None if fit["groups"] == "document" else str(fit["groups"]))
            reviewed = report.get("reviewed") or {}
            return RunAgreement(code_ids, segment_ids, scores, thresholds, figures, codings,
                                tuple(report.get("holdout_documents", ())), self.sample_agreement,
                                int((report.get("intervals") or {}).get("resamples", 0)), coded,
                                tuple(reviewed.get("segment_ids", ())), str(reviewed.get("source", "")),
                                learned, prior, group_column, self.learning_curve, self.suggestions)

        return self._parse(SCORES, build)

    @cached_property
    def human_spans(self) -> tuple[Coding, ...]:
        """The researcher's codings as the run placed them (codings.csv: document, [start, end)
        character offsets into documents.jsonl's text, code id, coder); () for a run without
        codings or one written before codings.csv."""
        path = self.path / CODINGS
        if not path.is_file():
            return ()
        out = []
        with path.open(encoding="utf-8", newline="") as handle:
            for i, row in enumerate(csv.DictReader(handle), 2):
                try:
                    out.append(Coding(row["document"], int(row["start"]), int(row["end"]), row["code"], row["user"] or ""))
                except (KeyError, ValueError, TypeError) as exc:
                    raise InputError(f"{path}: line {i}: not a coding row ({type(exc).__name__}: {exc}). Run `topicbook run` again to write it.") from None
        return tuple(out)

    @cached_property
    def intrusion(self) -> IntrusionScores | None:
        """intrusion.json (scored intrusion tasks, added by `topicbook intrusion-score`), or None."""
        if not (self.path / INTRUSION).is_file():
            return None
        data = self._json(INTRUSION)
        return self._parse(INTRUSION, lambda: IntrusionScores.from_json(data))

    @cached_property
    def preprocess_report(self) -> PreprocessReport:
        data = self._json(PREPROCESS_REPORT)
        return self._parse(PREPROCESS_REPORT, lambda: PreprocessReport.from_json(data))

    @cached_property
    def keywords(self) -> tuple[CodeKeywords, ...]:
        """The keyword report (() for a run without a codebook)."""
        if not (self.path / KEYWORD_REPORT).is_file():
            return ()
        data = self._json(KEYWORD_REPORT)
        return self._parse(KEYWORD_REPORT, lambda: tuple(CodeKeywords.from_json(r) for r in data))

    @cached_property
    def codebook(self) -> Codebook | None:
        """The codebook as the run read it, or None for a run without one."""
        path = self.path / CODEBOOK
        return load_codebook(path) if path.is_file() else None

    @cached_property
    def explorer_data(self) -> dict[str, Any]:
        """explorer_data.json, checked (see :func:`topicbook.report.explorer_data.check_explorer_data`)."""
        source = self.path / EXPLORER_DATA
        if not source.is_file():
            raise InputError(f"{source}: not found; this run was written without explorer data. Re-run it with report.explorer: true.")
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{source}: not valid explorer data ({exc}). Re-run the config to write it again.") from None
        return check_explorer_data(data, source)


def load_run(path: Path) -> RunFolder:
    """Open a run folder for reading: one-line errors for a missing folder, an unreadable
    manifest or a format this version cannot read; the other files are read on first use."""
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path}: no such run folder. Pass a folder written by `topicbook run`.")
    source = path / MANIFEST
    if not source.is_file():
        return RunFolder(path, None)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        manifest = Manifest.from_json(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{source}: not valid JSON ({exc}). Is this a topicbook run folder?") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{source}: not a topicbook manifest ({type(exc).__name__}: {exc}). Is this a topicbook run folder?") from None
    if manifest.format > FORMAT or manifest.format < 1:
        raise InputError(f"{source}: run folder format {manifest.format} is newer than this topicbook reads ({FORMAT}); upgrade topicbook (it wrote {manifest.topicbook}).")
    return RunFolder(path, manifest)
