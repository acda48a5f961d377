"""Property-based tests not covered elsewhere (the turn parser's spans: test_segment.py; YAML ->
.qdc -> YAML and quote matching: test_qdc_properties.py):

- the config loader round-trips: a valid config, written out as the resolved YAML and read
  again, is the same config (except `preprocess.deidentify_names`, which is never written);
- any bytes given as a transcript are decoded or refused with an InputError, never a crash;
- any YAML text given as a config is loaded or refused with a ConfigError, never a crash.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from topicbook.config import config_from_dict, dump_config, parse_yaml
from topicbook.errors import ConfigError, InputError
from topicbook.ingest.text import decode_bytes

BASE = Path("/study")
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäéß_", min_size=1, max_size=8)
REL_PATH = st.lists(WORD, min_size=1, max_size=3).map("/".join)


@st.composite
def configs(draw: st.DrawFn) -> dict:
    """A valid run config as parsed YAML, over many keys of every section."""
    codebook = draw(st.none() | REL_PATH)
    models = []
    for i in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["lda", "nmf"]))
        # a valid config: one name per model, guided models only with a codebook
        model = {"type": kind, "n_topics": draw(st.integers(2, 60)), "guided": codebook is not None and draw(st.booleans())}
        if i:
            model["name"] = f"{kind}_{i}"
        if kind == "lda":
            model |= {"alpha": draw(st.sampled_from(["symmetric", "asymmetric", "auto", 0.1])),
                      "passes": draw(st.integers(1, 50)), "chunksize": draw(st.none() | st.integers(1, 5000))}
        else:
            model |= {"beta_loss": draw(st.sampled_from(["frobenius", "kullback-leibler"])),
                      "l1_ratio": draw(st.floats(0, 1)), "alpha_H": draw(st.sampled_from(["same", 0.5]))}
        models.append(model)
    return {
        "name": draw(WORD.filter(lambda w: w.strip("_"))),  # a name must keep a letter (topicbook.names)
        "seed": draw(st.integers(0, 2**31)),
        "corpus": {"path": draw(REL_PATH), "include": draw(st.lists(WORD.map(lambda w: f"*.{w}"), min_size=1, max_size=3)),
                   "metadata": draw(st.none() | REL_PATH), "language": draw(st.sampled_from(["en", "de", "fr"]))},
        "speakers": {"interviewer": draw(st.just("auto") | st.lists(WORD, min_size=1, max_size=3)),
                     "keep": draw(st.sampled_from(["respondent", "all"]))},
        "segment": {"unit": draw(st.sampled_from(["turn", "paragraph", "window"])), "min_tokens": draw(st.integers(0, 99)),
                    "window": draw(st.integers(10, 500))},
        "preprocess": {"min_df": draw(st.integers(1, 9) | st.floats(0.01, 0.99)), "max_df": draw(st.floats(0.01, 1.0)),
                       "extra_stopwords": draw(st.lists(WORD, max_size=4)), "deidentify": draw(st.booleans())},
        "models": models,
        "codebook": {"path": codebook},
        "codings": {"holdout": draw(st.floats(0, 0.9))},
        "align": {"threshold": draw(st.floats(0, 1)), "split_ratio": draw(st.floats(0.01, 1))},
        "report": {"labels": draw(st.dictionaries(WORD, WORD, max_size=3)), "transcripts": draw(st.sampled_from(["auto", True, False]))},
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_config_round_trips_through_the_resolved_yaml(data: dict) -> None:
    cfg = config_from_dict(data, base_dir=BASE)
    text = dump_config(cfg, relative_to=BASE)
    again = config_from_dict(parse_yaml(text, Path("resolved.yaml")), base_dir=BASE)
    assert again == cfg
    assert str(BASE) not in text  # paths are written relative to the config's folder


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600) | st.text(max_size=200).map(lambda t: t.encode("utf-16-le")))
def test_any_bytes_are_decoded_or_refused_in_one_line(raw: bytes) -> None:
    try:
        text = decode_bytes(raw, "t.txt")
    except InputError as exc:
        assert str(exc).startswith("t.txt: ") and "\n" not in str(exc)
    else:
        assert isinstance(text, str) and "\r" not in text


YAML_PIECES = st.sampled_from(["a", ":", " ", "\n", "- ", "[", "]", "{", "}", "&x ", "*x", "!!python/object ",
                               "'", '"', "#", "corpus", "path", "1", "---", "\t", "? ", "|", ">"])


@settings(max_examples=200, deadline=None)
@given(st.lists(YAML_PIECES, max_size=40).map("".join))
def test_any_yaml_text_is_loaded_or_refused_in_one_line(text: str) -> None:
    try:
        data = parse_yaml(text, Path("c.yaml"))
        config_from_dict(data if data is not None else {}, base_dir=BASE, source=Path("c.yaml"))
    except ConfigError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(("c.yaml", "config"))
