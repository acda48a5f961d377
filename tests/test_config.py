"""Config loading: typed sections, exact one-line errors, path resolution, round trip."""

from pathlib import Path

import pytest
import yaml

from topicbook.config import ConfigError, config_from_dict, dump_config, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return str(info.value)


def test_relative_paths_resolve_from_the_config_folder(tmp_path):
    cfg = load_config(write(tmp_path, "corpus: {path: data/interviews}\ncodebook: {path: cb.yaml}\n"))
    assert cfg.corpus.path == (tmp_path / "data" / "interviews").resolve()
    assert cfg.codebook.path == (tmp_path / "cb.yaml").resolve()


def test_unknown_key_suggests_the_nearest(tmp_path):
    msg = error_of(tmp_path, "corpus: {path: x}\npreprocess: {min_dff: 2}\n")
    assert msg == f"{tmp_path / 'run.yaml'}: unknown key 'preprocess.min_dff'. Did you mean 'min_df'?"


def test_unknown_top_level_section(tmp_path):
    msg = error_of(tmp_path, "corpus: {path: x}\nmodel: []\n")
    assert msg.endswith("unknown key 'model'. Did you mean 'models'?")


def test_model_key_errors_name_the_index(tmp_path):
    msg = error_of(tmp_path, "corpus: {path: x}\nmodels: [{type: lda, n_topics: 5}, {type: nmf, n_topics: 1}]\n")
    assert msg.endswith("'models[1].n_topics' must be an int >= 2; got 1.")


def test_literal_values_are_listed(tmp_path):
    msg = error_of(tmp_path, "corpus: {path: x}\nsegment: {unit: sentence}\n")
    assert msg.endswith("'segment.unit' must be one of 'turn', 'paragraph', 'window'; got 'sentence'.")


def test_model_type_specific_keys(tmp_path):
    msg = error_of(tmp_path, "corpus: {path: x}\nmodels: [{type: nmf, passes: 3}]\n")
    assert msg.endswith("key 'models[0].passes' does not apply to type 'nmf'. Remove it, or set `type: lda`.")


def test_yes_no_in_a_word_list_get_a_quoting_hint(tmp_path):
    msg = error_of(tmp_path, "corpus: {path: x}\npreprocess: {extra_stopwords: [no]}\n")
    assert "Put the word in quotes." in msg


def test_missing_corpus_section(tmp_path):
    msg = error_of(tmp_path, "name: x\n")
    assert msg.endswith("missing section 'corpus'. Add `corpus: {path: <folder or table>}`.")


def test_yaml_syntax_error_names_the_line(tmp_path):
    msg = error_of(tmp_path, "corpus:\n  path: [x\n")
    assert msg.startswith(f"{tmp_path / 'run.yaml'}: line 3:")


def test_python_tags_are_refused(tmp_path):
    msg = error_of(tmp_path, "corpus: !!python/object/apply:os.system ['echo hi']\n")
    assert "could not determine a constructor" in msg


def test_resolved_config_round_trips(tmp_path):
    cfg = load_config(write(tmp_path, "corpus: {path: data}\nmodels: [{type: lda, n_topics: 3, alpha: 0.1}]\n"))
    text = dump_config(cfg, relative_to=tmp_path)
    again = config_from_dict(yaml.safe_load(text), base_dir=tmp_path)
    assert again == cfg
    assert "data" in text and str(tmp_path) not in text
