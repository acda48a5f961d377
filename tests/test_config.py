"""Config loading: typed sections, exact one-line errors, path resolution, round trip."""

import dataclasses
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from topicbook.cli import main
from topicbook.config import (
    ConfigError,
    LdaConfig,
    ModelConfig,
    NmfConfig,
    config_from_dict,
    dump_config,
    load_config,
)


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


# --------------------------------------------------------------------------- load-time checks

BAD_VALUES = [
    ("models: [{type: nmf, alpha_W: -1.0}]", "'models[0].alpha_W' must be a float >= 0; got -1.0."),
    ("models: [{type: nmf, alpha_W: -1}]", "'models[0].alpha_W' must be a float >= 0; got -1.0."),
    ("models: [{type: nmf, alpha_H: -1}]", "'models[0].alpha_H' must be 'same' or a float >= 0; got -1."),
    ("models: [{type: nmf, l1_ratio: 1.5}]", "'models[0].l1_ratio' must be a float in [0, 1]; got 1.5."),
    ("models: [{type: nmf, l1_ratio: -0.1}]", "'models[0].l1_ratio' must be a float in [0, 1]; got -0.1."),
    ("models: [{type: lda, eta: -0.5}]", "'models[0].eta' must be a float > 0; got -0.5."),
    ("models: [{type: lda, eta: 0}]", "'models[0].eta' must be a float > 0; got 0."),
    ("models: [{type: lda, alpha: -0.1}]", "'models[0].alpha' must be 'symmetric', 'asymmetric', 'auto' or a float > 0; got -0.1."),
    ("models: [{type: lda, alpha: 0}]", "'models[0].alpha' must be 'symmetric', 'asymmetric', 'auto' or a float > 0; got 0."),
    ("models: [{type: lda, chunksize: 0}]", "'models[0].chunksize' must be an int >= 1; got 0."),
    ("models: [{type: lda}, {type: lda, seed_strength: 0}]", "'models[1].seed_strength' must be a float > 0; got 0.0."),
    ("models: [{type: nmf, alpha_W: .inf}]", "'models[0].alpha_W' must be a float >= 0; got inf."),
    ("seed: -1", "'seed' must be an int in [0, 2**32); got -1."),
    ("seed: 4294967296", "'seed' must be an int in [0, 2**32); got 4294967296."),
    ("seed: 4294967295", "'seed' must be below 2**32 - 3, as the stability re-fits use seeds seed+1 to seed+3 (evaluate.stability_seeds); got 4294967295."),
    ("preprocess: {min_df: 0}", "'preprocess.min_df' must be an int >= 1 or a float in (0, 1); got 0."),
    ("preprocess: {max_vocab: 5}", "'preprocess.max_vocab' must be an int >= 10; got 5."),
    ("segment: {window: 20, overlap: 20}", "'segment.overlap' must be smaller than segment.window (20); got 20."),
]


@pytest.mark.parametrize(("yaml_text", "message"), BAD_VALUES, ids=[m.split("'")[1] for _, m in BAD_VALUES])
def test_out_of_range_values_name_the_key_and_the_bounds(tmp_path, yaml_text, message):
    assert error_of(tmp_path, f"corpus: {{path: x}}\n{yaml_text}\n") == f"{tmp_path / 'run.yaml'}: {message}"


SETTINGS_THAT_CLASH = [
    ("models: [{type: lda, n_topics: 5}, {type: lda, n_topics: 5, passes: 3}]",
     "models: two models are named 'lda_k5'. Give one a different `name`."),
    ("models: [{type: nmf, name: main}, {type: lda, name: main}]",
     "models: two models are named 'main'. Give one a different `name`."),
    ("models: [{type: lda, guided: true}]",
     "models: 'guided_lda_x3' has guided: true but the config has no codebook. Set codebook.path or guided: false."),
    ("codebook: {path: cb.yaml}\nmodels: [{type: lda, guided: true, engine: tomotopy}]",
     "models: 'guided_lda_x3' has engine: tomotopy and guided: true; the tomotopy engine fits unguided LDA only. Set engine: gensim or guided: false."),
    ("models: [{type: lda, engine: tomotopy, multicore: true}]",
     "models: 'lda_k10' has engine: tomotopy and multicore: true; the tomotopy engine samples with one worker, so that a seed gives one result. Set multicore: false."),
]


@pytest.mark.parametrize(("yaml_text", "message"), SETTINGS_THAT_CLASH, ids=["same-label", "same-name", "guided-no-codebook", "tomotopy-guided", "tomotopy-multicore"])
def test_settings_that_do_not_work_together_fail_at_load_time(tmp_path, yaml_text, message):
    assert error_of(tmp_path, f"corpus: {{path: x}}\n{yaml_text}\n") == f"{tmp_path / 'run.yaml'}: {message}"


def test_two_models_with_distinct_names_and_a_guided_model_with_a_codebook_load(tmp_path):
    cfg = load_config(write(tmp_path, "corpus: {path: x}\ncodebook: {path: cb.yaml}\n"
                                      "models: [{type: lda, n_topics: 5}, {type: lda, n_topics: 5, name: lda_b}, {type: nmf, guided: true}]\n"))
    assert [m.label for m in cfg.models] == ["lda_k5", "lda_b", "guided_nmf_x3"]


LANGUAGES = [
    ("corpus: {path: x, language: zh}",
     "corpus.language: 'zh' is written without spaces between words, and topicbook splits words at spaces and punctuation (it has no word segmenter, lemmatiser or stemmer for it). Split the texts into space-separated words first, then set preprocess.lemmatize: none."),
    ("corpus: {path: x, language: ja}\npreprocess: {lemmatize: stem}",
     "corpus.language: 'ja' is written without spaces between words, and topicbook splits words at spaces and punctuation (it has no word segmenter, lemmatiser or stemmer for it). Split the texts into space-separated words first, then set preprocess.lemmatize: none."),
    ("corpus: {path: x, language: english}",
     "corpus.language: no stopword list for 'english'. Use an ISO 639-1 code such as en, de, fr, it, es, pt, nl, or set preprocess.stopwords: false."),
    ("corpus: {path: x, language: xx}\npreprocess: {stopwords: false}",
     "corpus.language: no lemma dictionary for 'xx'. Set preprocess.lemmatize: none."),
    ("corpus: {path: x, language: 'no'}",
     "corpus.language: no lemma dictionary for 'no'. Set preprocess.lemmatize: stem or none."),
    ("corpus: {path: x, language: ko}\npreprocess: {lemmatize: stem}",
     "preprocess.lemmatize: no Snowball stemmer for 'ko'. Use lemmatize: none."),
    ("corpus: {path: x, language: pl}\npreprocess: {lemmatize: stem}",
     "preprocess.lemmatize: no Snowball stemmer for 'pl'. Use lemmatize: lemma or none."),
]


@pytest.mark.parametrize(("yaml_text", "message"), LANGUAGES, ids=["zh", "ja-stem", "not-a-code", "no-lemmas", "no-lemmas-but-stems", "no-stems", "stems-lemmas"])
def test_languages_preprocessing_cannot_handle_fail_at_load_time(tmp_path, yaml_text, message):
    assert error_of(tmp_path, yaml_text + "\n") == f"{tmp_path / 'run.yaml'}: {message}"


def test_language_codes_are_case_insensitive_and_pre_split_texts_are_workable(tmp_path):
    assert load_config(write(tmp_path, "corpus: {path: x, language: DE}\n")).corpus.language == "de"
    pre_split = load_config(write(tmp_path, "corpus: {path: x, language: zh}\npreprocess: {lemmatize: none}\n"))
    assert pre_split.corpus.language == "zh"


def test_a_load_time_error_comes_before_any_input_is_read(tmp_path, monkeypatch):
    import topicbook.ingest
    import topicbook.pipeline

    def no_reading(*args, **kwargs):
        raise AssertionError("the corpus was read before the config was checked")

    monkeypatch.setattr(topicbook.pipeline, "read_corpus", no_reading)
    monkeypatch.setattr(topicbook.ingest, "read_corpus", no_reading)
    config = write(tmp_path, "corpus: {path: not-there}\nmodels: [{type: nmf, alpha_W: -1}, {type: lda, eta: -0.5}]\n")
    result = CliRunner().invoke(main, ["run", str(config), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 1
    assert result.output == f"Error: {config}: 'models[0].alpha_W' must be a float >= 0; got -1.0.\n"
    assert "Traceback" not in result.output and not (tmp_path / "runs").exists()


# --------------------------------------------------------------------------- the Python side


def test_model_config_builds_the_type_it_names_and_replace_revalidates():
    lda = ModelConfig(type="lda", n_topics=4)
    assert isinstance(lda, LdaConfig) and lda.n_topics == 4 and lda.alpha == "symmetric"
    assert isinstance(ModelConfig(type="nmf"), NmfConfig)
    assert dataclasses.replace(lda, n_topics=6, name=None).label == "lda_k6"
    with pytest.raises(ValidationError):
        dataclasses.replace(lda, n_topics=1)
    with pytest.raises(ValidationError):
        ModelConfig(type="lda", l1_ratio=0.5)  # an NMF parameter
    with pytest.raises(dataclasses.FrozenInstanceError):
        lda.n_topics = 5  # type: ignore[misc]


def test_resolved_config_writes_each_model_type_with_its_own_keys(tmp_path):
    cfg = load_config(write(tmp_path, "corpus: {path: data}\nmodels: [{type: lda, alpha: 1}, {type: nmf, alpha_W: 1}]\n"))
    models = yaml.safe_load(dump_config(cfg, relative_to=tmp_path))["models"]
    assert list(models[0]) == ["type", "n_topics", "name", "guided", "extra_topics", "seed_strength", "alpha", "eta",
                               "passes", "iterations", "chunksize", "multicore", "engine"]
    assert list(models[1]) == ["type", "n_topics", "name", "guided", "extra_topics", "seed_strength", "input", "init",
                               "beta_loss", "l1_ratio", "alpha_W", "alpha_H", "max_iter"]
    assert models[0]["alpha"] == 1.0 and isinstance(models[0]["alpha"], float) and models[1]["alpha_W"] == 1.0


def test_a_language_code_in_capitals_is_read_as_its_code(planted: Path) -> None:
    """`language: EN` was a traceback (no stopword list for 'EN'); codes are case-blind."""
    planted.write_text(planted.read_text(encoding="utf-8").replace("corpus:\n", "corpus:\n  language: EN\n"), encoding="utf-8")
    assert load_config(planted).corpus.language == "en"
    result = CliRunner().invoke(main, ["-q", "validate", str(planted)])
    assert result.exit_code == 0, result.output
    assert "Documents: 8 (8 with speaker labels)" in result.output
