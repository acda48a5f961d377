"""A cache of the preprocessed corpus, so that a re-run or sweep with only model changes does
not read, segment and preprocess again.

The key is a SHA-256 over: the content of every input file (corpus files and metadata), the
corpus, speakers, segment and preprocess config sections, the codebook's multi-word keywords
(they become forced phrases), the versions of the libraries that shape tokens, and the source
of topicbook's ingest, segment and preprocess modules.

An entry is one file ``<key>.npz`` in the cache folder (default ``.topicbook-cache`` next to the
config file): a NumPy NPZ archive of plain arrays, read with ``allow_pickle=False``, so that a
cache file, even one crafted by someone else, can never run code when it is read (the cache
used to be a pickle). It holds:

- ``counts_data``, ``counts_indices``, ``counts_indptr``, ``counts_shape``: the document-term
  matrix (CSR, n_segments x n_terms, int64 counts);
- ``token_ids``, ``token_offsets``: each modelled segment's tokens as indices into the
  vocabulary (segment i is ``token_ids[token_offsets[i]:token_offsets[i + 1]]``);
- ``span_bounds``, ``span_offsets``: each segment's character spans (segment i has the (start,
  end) rows ``span_offsets[i]:span_offsets[i + 1]``); segment texts are cut from the documents;
- ``meta``: UTF-8 JSON (as bytes) with the format number, the key (checked against the file
  name's), the documents (id, text, source, metadata, codes), the segments' ids, documents,
  speakers, roles and questions, the interviewer decision, the warnings, the vocabulary and
  row ids of the matrix, and the fitted preprocessor's state (learned phrases and the token
  report; the lemma cache is rebuilt on demand).

An entry is written to a temporary file and renamed into place; a failed write (a full disk, an
interrupt) removes the temporary file. An entry that cannot be read, or whose format or key
differs, is ignored with one warning and rebuilt. The newest `MAX_ENTRIES` entries are kept.
Files of older versions (``<key>.pkl`` pickles) are never opened.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from topicbook.config import RunConfig, config_to_dict
from topicbook.files import sha256_file
from topicbook.ingest import Corpus, Document, corpus_files
from topicbook.ingest.corpus import linked_files
from topicbook.preprocess import DocumentTermMatrix, Preprocessor
from topicbook.segment import RoleDecision, Segment, Segmentation

log = logging.getLogger(__name__)

MAX_ENTRIES = 8
FORMAT = 4  # 3: segments keep answer_starts, the token report its noise counts; 4: the corpus its page-break repeats and de-identified offsets
SUFFIX = ".npz"
_ENTRY_NAME = re.compile(r"^[0-9a-f]{64}\.npz$")
_TMP_PREFIX = ".topicbook-tmp-"
_STALE_TMP_SECONDS = 24 * 3600
_CODE = ("config.py", "segment.py", "preprocess.py", "deidentify.py", "cache.py", "chars.py")
_VERSIONED = ("topicbook", "nltk", "simplemma", "gensim", "stopwordsiso", "scikit-learn", "pypdf", "python-docx", "odfpy", "webvtt-py")


@dataclass
class PreparedCorpus:
    """What the cache holds: the (de-identified) corpus, its segments, the fitted preprocessor
    (learned phrases, report) and the document-term matrix."""

    corpus: Corpus
    segmentation: Segmentation
    preprocessor: Preprocessor
    dtm: DocumentTermMatrix


def cache_folder(cfg: RunConfig) -> Path | None:
    """The cache folder for a config, or None when the cache is off or has nowhere to live."""
    if not cfg.cache.enabled:
        return None
    if cfg.cache.path is not None:
        return cfg.cache.path
    if cfg.source is not None:
        return Path(cfg.source).resolve().parent / ".topicbook-cache"
    return None


def _digest_or_error(path: Path) -> str:
    """The file's SHA-256, or a marker naming why it cannot be read (reading it then gives the
    usual one-line warning, and a readable file later gives a new key)."""
    try:
        return sha256_file(path)
    except OSError as exc:
        return f"unreadable: {exc.errno}"



def code_digest() -> str:
    """SHA-256 of topicbook's own reading, segmenting and preprocessing modules, so that any
    change to that code (a new release or a local edit) starts a new cache entry."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*package.joinpath("ingest").glob("*.py"), *(package / n for n in _CODE)]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(cfg: RunConfig, forced_phrases: Sequence[str] = ()) -> str:
    """Hex key of the inputs and settings that decide the preprocessed corpus."""
    from importlib.metadata import PackageNotFoundError, version

    plain = config_to_dict(cfg)
    versions: dict[str, str | None] = {}
    for name in _VERSIONED:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    payload = {
        "format": FORMAT,
        "config": {k: plain[k] for k in ("corpus", "speakers", "segment", "preprocess")},
        "forced_phrases": sorted(forced_phrases),
        "deidentify_names": cfg.preprocess.deidentify_names,  # config_to_dict writes only their count
        "files": [[str(f), _digest_or_error(f)] for f in corpus_files(cfg.corpus)],
        "links": [str(f) for f in linked_files(cfg.corpus)],  # not read, but warned about
        "versions": versions,
        "code": code_digest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def load(folder: Path, key: str, cfg: RunConfig | None = None, forced_phrases: Sequence[str] = ()) -> PreparedCorpus | None:
    """The cached entry for `key`, or None (missing, unreadable, or of another format or key:
    one warning, and it is rebuilt). `cfg` rebuilds the preprocessor (default: the preprocess
    settings the entry was made with are not known, so a default config is used)."""
    path = folder / f"{key}{SUFFIX}"
    if not path.is_file():
        return None
    collecting = gc.isenabled()
    gc.disable()  # the entry is millions of small objects and no cycles: collecting while building them doubles the time
    try:
        with np.load(path, allow_pickle=False) as arrays:
            meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
            if meta.get("format") != FORMAT or meta.get("key") != key:
                log.warning("%s: not a cache entry of this topicbook version for these inputs (format or key differs); ignored, preprocessing again.", path.name)
                return None
            entry = _entry_from(meta, {name: arrays[name] for name in arrays.files if name != "meta"}, cfg, forced_phrases)
    except Exception as exc:  # noqa: BLE001 - a broken or foreign cache entry is rebuilt, never fatal
        log.warning("%s: unreadable cache entry (%s); preprocessing again.", path.name, type(exc).__name__)
        return None
    finally:
        if collecting:
            gc.enable()
    os.utime(path)  # mark as recently used
    return entry


def store(folder: Path, key: str, entry: PreparedCorpus) -> Path | None:
    """Write an entry atomically and prune the oldest ones; None if it cannot be written (the
    temporary file is removed, whatever stopped the write)."""
    tmp: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        arrays = _entry_arrays(entry, key)
        fd, name = tempfile.mkstemp(dir=folder, prefix=_TMP_PREFIX, suffix=".partial")
        tmp = Path(name)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **cast(dict[str, Any], arrays))
        target = folder / f"{key}{SUFFIX}"
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        log.warning("cache: cannot write to %s (%s); continuing without a cache.", folder, exc.strerror or exc)
        return None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    _prune(folder)
    return target


def _prune(folder: Path) -> None:
    """Keep the newest MAX_ENTRIES entries; remove temporary files a killed run left behind."""
    entries = sorted((p for p in folder.iterdir() if _ENTRY_NAME.match(p.name)), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        old.unlink(missing_ok=True)
    now = time.time()
    for tmp in folder.glob(f"{_TMP_PREFIX}*.partial"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TMP_SECONDS:
                tmp.unlink()
        except OSError:
            pass


# --------------------------------------------------------------------------- entry <-> arrays


def _entry_arrays(entry: PreparedCorpus, key: str) -> dict[str, np.ndarray]:
    """The arrays of an NPZ entry (module docstring): numbers as arrays, the rest as JSON."""
    corpus, seg, dtm = entry.corpus, entry.segmentation, entry.dtm
    counts = dtm.counts.tocsr()
    index = {term: i for i, term in enumerate(dtm.vocab)}
    token_ids = np.fromiter((index[t] for tokens in dtm.tokens for t in tokens), dtype=np.int64)
    token_offsets = np.cumsum([0, *map(len, dtm.tokens)], dtype=np.int64)
    spans = [span for s in seg.segments for span in s.spans]
    span_bounds = np.asarray(spans, dtype=np.int64).reshape(len(spans), 2)
    span_offsets = np.cumsum([0, *(len(s.spans) for s in seg.segments)], dtype=np.int64)
    meta = {
        "format": FORMAT,
        "key": key,
        "corpus": {
            "root": str(corpus.root), "files": [str(f) for f in corpus.files], "warnings": list(corpus.warnings),
            "page_break_repeats": dict(corpus.page_break_repeats), "deidentified_from": dict(corpus.deidentified_from),
            "documents": [{"id": d.id, "text": d.text, "source": d.source, "metadata": d.metadata,
                           "codes": list(d.codes), "is_table_row": d.is_table_row} for d in corpus.documents],
        },
        "segmentation": {
            "id": [s.id for s in seg.segments], "document": [s.document for s in seg.segments],
            "speaker": [s.speaker for s in seg.segments], "role": [s.role for s in seg.segments],
            "question": [s.question for s in seg.segments],
            "answer_starts": [list(s.answer_starts) for s in seg.segments],
            "roles": {"interviewers": sorted(seg.roles.interviewers), "method": seg.roles.method,
                      "evidence": list(seg.roles.evidence)},
            "turns_by_role": seg.turns_by_role, "n_documents_with_labels": seg.n_documents_with_labels,
            "dropped": [list(d) for d in seg.dropped], "warnings": list(seg.warnings),
        },
        "preprocessor": entry.preprocessor.state(),
        "dtm": {"vocab": list(dtm.vocab), "segment_ids": list(dtm.segment_ids)},
    }
    return {
        "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
        "counts_data": counts.data, "counts_indices": counts.indices, "counts_indptr": counts.indptr,
        "counts_shape": np.asarray(counts.shape, dtype=np.int64),
        "token_ids": token_ids, "token_offsets": token_offsets,
        "span_bounds": span_bounds, "span_offsets": span_offsets,
    }


def _entry_from(meta: dict, arrays: dict[str, np.ndarray], cfg: RunConfig | None,
                forced_phrases: Sequence[str]) -> PreparedCorpus:
    """The PreparedCorpus an NPZ entry holds (inverse of _entry_arrays)."""
    from topicbook.config import CorpusConfig, PreprocessConfig

    c = meta["corpus"]
    documents = tuple(Document(id=d["id"], text=d["text"], source=d["source"], metadata=d["metadata"],
                               codes=tuple(d["codes"]), is_table_row=bool(d["is_table_row"])) for d in c["documents"])
    corpus = Corpus(documents, Path(c["root"]), tuple(Path(f) for f in c["files"]), tuple(c["warnings"]),
                    {str(k): int(v) for k, v in c["page_break_repeats"].items()},
                    {str(k): int(v) for k, v in c["deidentified_from"].items()})
    by_id = {d.id: d for d in documents}
    sg = meta["segmentation"]
    bounds, offsets = arrays["span_bounds"].tolist(), arrays["span_offsets"].tolist()
    segments = []
    for i, seg_id in enumerate(sg["id"]):
        doc = by_id[sg["document"][i]]
        spans = tuple((int(a), int(b)) for a, b in bounds[offsets[i]:offsets[i + 1]])
        segments.append(Segment(seg_id, doc.id, sg["speaker"][i], sg["role"][i], spans,
                                "\n".join(doc.text[a:b] for a, b in spans), sg["question"][i], doc.metadata,
                                tuple(int(n) for n in sg["answer_starts"][i])))
    roles = RoleDecision(frozenset(sg["roles"]["interviewers"]), sg["roles"]["method"], tuple(sg["roles"]["evidence"]))
    segmentation = Segmentation(tuple(segments), roles, dict(sg["turns_by_role"]), int(sg["n_documents_with_labels"]),
                                tuple((str(a), str(b)) for a, b in sg["dropped"]), tuple(sg["warnings"]))
    vocab = tuple(meta["dtm"]["vocab"])
    n_rows, n_cols = (int(n) for n in arrays["counts_shape"])
    counts = sp.csr_matrix((arrays["counts_data"], arrays["counts_indices"], arrays["counts_indptr"]), shape=(n_rows, n_cols))
    words = [vocab[t] for t in arrays["token_ids"].tolist()]
    tokens = tuple(tuple(words[a:b]) for a, b in pairwise(arrays["token_offsets"].tolist()))
    dtm = DocumentTermMatrix(counts=counts, vocab=vocab, segment_ids=tuple(meta["dtm"]["segment_ids"]), tokens=tokens)
    if cfg is None:
        cfg = RunConfig(corpus=CorpusConfig(path=corpus.root), preprocess=PreprocessConfig())
    pre = Preprocessor.from_state(cfg.preprocess, meta["preprocessor"], language=cfg.corpus.language, forced_phrases=forced_phrases)
    return PreparedCorpus(corpus, segmentation, pre, dtm)


def prepare_corpus(cfg: RunConfig, forced_phrases: Sequence[str], build: Callable[[], PreparedCorpus],
                   stage: Callable[[str], Any] | None = None) -> tuple[PreparedCorpus, bool]:
    """The preprocessed corpus from the cache, or `build()` it and store it.

    Returns (entry, True if it came from the cache). `stage(name)` is an optional context
    manager factory for timing the lookup (the pipeline's Timer.stage).
    """
    folder = cache_folder(cfg)
    if folder is None:
        return build(), False
    from contextlib import nullcontext

    with (stage("cache") if stage else nullcontext()):
        key = cache_key(cfg, forced_phrases)
        entry = load(folder, key, cfg, forced_phrases)
    if entry is not None:
        log.info("preprocessed corpus from cache %s", key[:12])
        for warning in (*entry.corpus.warnings, *entry.segmentation.warnings):
            log.warning(warning)
        return entry, True
    entry = build()
    store(folder, key, entry)
    return entry, False
