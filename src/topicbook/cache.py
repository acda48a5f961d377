"""A cache of the preprocessed corpus, so that a re-run or sweep with only model changes does
not read, segment and preprocess again.

The key is a SHA-256 over: the content of every input file (corpus files and metadata), the
corpus, speakers, segment and preprocess config sections, the codebook's multi-word keywords
(they become forced phrases), the versions of the libraries that shape tokens, and the source
of topicbook's ingest, segment and preprocess modules.
An entry is one pickle file ``<key>.pkl`` in the cache folder (default ``.topicbook-cache``
next to the config file), written atomically; the newest `MAX_ENTRIES` are kept. A cache file
that cannot be loaded is ignored and rebuilt. Pickles are only read from this folder, which
topicbook itself writes: do not put other people's cache files there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topicbook.config import RunConfig, config_to_dict
from topicbook.files import sha256_file
from topicbook.ingest import Corpus, corpus_files
from topicbook.preprocess import DocumentTermMatrix, Preprocessor
from topicbook.segment import Segmentation

log = logging.getLogger(__name__)

MAX_ENTRIES = 8
FORMAT = 1
_CODE = ("config.py", "segment.py", "preprocess.py", "deidentify.py", "cache.py")
_VERSIONED = ("topicbook", "nltk", "simplemma", "gensim", "stopwordsiso", "scikit-learn", "pypdf", "python-docx", "odfpy", "webvtt-py")


@dataclass
class PreparedCorpus:
    """What the cache holds: the (de-identified) corpus, its segments, the fitted preprocessor
    (phrase model, lemma cache, report) and the document-term matrix."""

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
        "files": [[str(f), sha256_file(f)] for f in corpus_files(cfg.corpus)],
        "versions": versions,
        "code": code_digest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def load(folder: Path, key: str) -> PreparedCorpus | None:
    """The cached entry for `key`, or None (missing, unreadable or from another format)."""
    path = folder / f"{key}.pkl"
    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            entry = pickle.load(handle)  # noqa: S301 - our own cache folder
    except Exception as exc:  # noqa: BLE001 - a broken cache entry is rebuilt, never fatal
        log.warning("%s: unreadable cache entry (%s); preprocessing again.", path.name, type(exc).__name__)
        return None
    if not isinstance(entry, PreparedCorpus):
        return None
    os.utime(path)  # mark as recently used
    return entry


def store(folder: Path, key: str, entry: PreparedCorpus) -> Path | None:
    """Write an entry atomically and prune the oldest ones; None if the folder is not writable."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
            pickle.dump(entry, handle, protocol=pickle.HIGHEST_PROTOCOL)
        target = folder / f"{key}.pkl"
        os.replace(handle.name, target)
    except OSError as exc:
        log.warning("cache: cannot write to %s (%s); continuing without a cache.", folder, exc.strerror or exc)
        return None
    entries = sorted(folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        old.unlink(missing_ok=True)
    return target


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
        entry = load(folder, key)
    if entry is not None:
        log.info("preprocessed corpus from cache %s", key[:12])
        for warning in (*entry.corpus.warnings, *entry.segmentation.warnings):
            log.warning(warning)
        return entry, True
    entry = build()
    store(folder, key, entry)
    return entry, False
