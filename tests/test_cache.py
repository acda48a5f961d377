"""The preprocessing cache holds no pickle: an entry is plain arrays and JSON, read with
allow_pickle=False, checked against its key; a crafted, broken or foreign entry is ignored with
one warning and rebuilt, and what the cache gives back is exactly what preprocessing gives."""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import topicbook.cache as cache
from topicbook.cli import main
from topicbook.codebook import load_codebook
from topicbook.config import load_config
from topicbook.pipeline import Timer, _build_corpus, prepare


class _Marker:
    """A pickle that creates a file when it is unpickled (what a hostile cache entry would do)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (str(self.path), "w"))


def _key(config: Path) -> str:
    cfg = load_config(config)
    book = load_codebook(cfg.codebook.path)
    return cache.cache_key(cfg, book.multiword_keywords())


def _validate(config: Path) -> object:
    return CliRunner().invoke(main, ["validate", str(config)])


def _with_phrases(config: Path) -> Path:
    """The planted config with phrases and a multi-word keyword on: the cache must keep both."""
    config.write_text(config.read_text(encoding="utf-8").replace("phrases: false", "phrases: true"), encoding="utf-8")
    book = config.parent / "codebook.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace("keywords: [tomato,", "keywords: [green house, tomato,"), encoding="utf-8")
    return config


@pytest.mark.parametrize("stopwords", [True, False], ids=["pairs", "gensim-phrasegrams"])
def test_a_cached_entry_is_exactly_what_preprocessing_gives(planted: Path, stopwords: bool) -> None:
    config = _with_phrases(planted)
    if not stopwords:  # connector words ("the", "and") stay, so gensim's own phrase model is used
        config.write_text(config.read_text(encoding="utf-8").replace("phrases: true", "phrases: true\n  stopwords: false"), encoding="utf-8")
    cfg = load_config(config)
    fresh = prepare(dataclasses.replace(cfg, cache=dataclasses.replace(cfg.cache, enabled=False)))
    prepare(cfg)  # stores the entry
    cached = prepare(cfg)
    assert "preprocess" not in cached.timer.seconds
    assert (fresh.preprocessor._pairs is None) is (not stopwords)
    assert cached.corpus == fresh.corpus
    assert cached.segmentation == fresh.segmentation
    assert [s.text for s in cached.segmentation.segments] == [s.text for s in fresh.segmentation.segments]
    assert [s.metadata for s in cached.segmentation.segments] == [s.metadata for s in fresh.segmentation.segments]
    a, b = cached.dtm, fresh.dtm
    assert a.vocab == b.vocab and a.segment_ids == b.segment_ids and a.tokens == b.tokens
    assert a.counts.dtype == b.counts.dtype and a.counts.shape == b.counts.shape and (a.counts != b.counts).nnz == 0
    assert cached.preprocessor.report.as_dict() == fresh.preprocessor.report.as_dict()
    assert cached.preprocess_report() == fresh.preprocess_report()
    assert cached.keywords == fresh.keywords and cached.seeds == fresh.seeds
    for text in ("green house tomato", "the tomato and the soil", "guitar chord melody concert"):
        assert cached.preprocessor.transform(text) == fresh.preprocessor.transform(text)


def test_an_entry_is_an_npz_of_plain_arrays_and_json(planted: Path) -> None:
    prepare(load_config(planted))
    [entry] = (planted.parent / ".topicbook-cache").iterdir()
    assert entry.name == f"{_key(planted)}.npz"
    with zipfile.ZipFile(entry) as zf:
        names = sorted(zf.namelist())
    assert names == sorted(f"{n}.npy" for n in ("meta", "counts_data", "counts_indices", "counts_indptr", "counts_shape",
                                                 "token_ids", "token_offsets", "span_bounds", "span_offsets"))
    with np.load(entry, allow_pickle=False) as arrays:
        assert all(arrays[n].dtype != object for n in arrays.files)
        meta = json.loads(arrays["meta"].tobytes())
    assert meta["format"] == cache.FORMAT and meta["key"] == entry.stem
    assert sorted(meta) == ["corpus", "dtm", "format", "key", "preprocessor", "segmentation"]


def test_a_crafted_pickle_in_the_cache_never_runs(planted: Path, tmp_path: Path) -> None:
    marker = tmp_path / "owned"
    payload = pickle.dumps(_Marker(marker))
    folder = planted.parent / ".topicbook-cache"
    folder.mkdir()
    key = _key(planted)
    (folder / f"{key}.npz").write_bytes(payload)  # a pickle under the entry's name
    (folder / f"{key}.pkl").write_bytes(payload)  # and where topicbook <= 0.1 kept its pickles
    result = _validate(planted)
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    assert f"Warning: {key}.npz: unreadable cache entry (ValueError); preprocessing again." in result.output.splitlines()
    with np.load(folder / f"{key}.npz", allow_pickle=False) as arrays:  # rebuilt as a real entry
        assert json.loads(arrays["meta"].tobytes())["key"] == key
    assert (folder / f"{key}.pkl").read_bytes() == payload  # never opened, never removed
    pickle.loads(payload)  # the payload is live: unpickling it does create the marker
    assert marker.exists()


def test_an_npz_with_a_pickled_object_array_never_runs(planted: Path, tmp_path: Path) -> None:
    marker = tmp_path / "owned"
    folder = planted.parent / ".topicbook-cache"
    folder.mkdir()
    key = _key(planted)
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array([_Marker(marker)], dtype=object), counts_data=np.zeros(3))
    (folder / f"{key}.npz").write_bytes(buffer.getvalue())
    result = _validate(planted)
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    assert result.output.count("unreadable cache entry") == 1


def test_a_foreign_entry_is_ignored_with_one_warning_and_rebuilt(planted: Path) -> None:
    prepare(load_config(planted))
    folder = planted.parent / ".topicbook-cache"
    [entry] = folder.iterdir()
    doc = planted.parent / "interviews" / "doc01.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nInterviewer: More?\nAda: Tomato soil compost harvest seedling.\n", encoding="utf-8")
    new_key = _key(planted)
    (folder / f"{new_key}.npz").write_bytes(entry.read_bytes())  # the old corpus under the new key
    result = _validate(planted)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "cache entry" in line]
    assert warnings == [f"Warning: {new_key}.npz: not a cache entry of this topicbook version for these inputs (format or key differs); ignored, preprocessing again."]
    again = cache.load(folder, new_key, load_config(planted))
    assert again is not None and "Tomato soil compost harvest seedling." in again.corpus.documents[0].text


def test_a_failed_write_leaves_no_partial_file(planted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _build_corpus(load_config(planted), (), Timer())
    folder = planted.parent / "cache"
    write_array = np.lib.format.write_array

    def interrupted(fp, array, *args, **kwargs):  # type: ignore[no-untyped-def]
        write_array(fp, array, *args, **kwargs)  # some bytes reach the disk first
        raise KeyboardInterrupt

    monkeypatch.setattr(np.lib.format, "write_array", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.store(folder, "0" * 64, entry)
    assert list(folder.iterdir()) == []
