"""Typed run configuration, strict YAML loading and the resolved config.

A run config is a YAML mapping with the sections below. Every key is checked: an unknown key is
an error that suggests the nearest valid one, a value of the wrong type or out of range is an
error naming the key and the allowed values. Relative paths are resolved from the folder of the
config file.

>>> cfg = config_from_dict({"corpus": {"path": "."}}, base_dir=Path("/data"))
>>> cfg.corpus.path
PosixPath('/data')
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from topicbook.errors import ConfigError

# --------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class CorpusConfig:
    """Where the texts are. A folder of transcripts, or one CSV/JSONL table."""

    path: Path
    include: list[str] = field(
        default_factory=lambda: ["*.txt", "*.md", "*.docx", "*.odt", "*.pdf", "*.vtt", "*.srt"]
    )
    metadata: Path | None = None
    id_column: str = "id"
    text_column: str = "text"
    codes_column: str | None = None
    language: str = "en"
    remove_page_break_repeats: bool = True  # PDF: a line repeated at the top of the next page (MAXQDA)


@dataclass(frozen=True)
class SpeakersConfig:
    """Who speaks: `interviewer` is `auto` or a list of labels; `keep` respondent or all turns."""

    interviewer: Union[Literal["auto"], list[str]] = "auto"  # noqa: UP007
    keep: Literal["respondent", "all"] = "respondent"


@dataclass(frozen=True)
class SegmentConfig:
    """Analysis units: whole turns, paragraphs, or windows of about `window` tokens."""

    unit: Literal["turn", "paragraph", "window"] = "turn"
    min_tokens: int = 15
    window: int = 120
    overlap: int = 0


@dataclass(frozen=True)
class PreprocessConfig:
    """Tokenisation, stopwords, lemmas or stems, phrases, pruning of the vocabulary."""

    lemmatize: Literal["lemma", "stem", "none"] = "lemma"
    stopwords: bool = True
    filler_words: bool = True
    extra_stopwords: list[str] = field(default_factory=list)
    phrases: bool = True
    phrase_threshold: float = 0.5
    min_df: Union[int, float] = 2  # noqa: UP007
    max_df: float = 0.5
    max_vocab: int | None = 20000
    min_token_length: int = 2
    deidentify: bool = False  # names, e-mails, phone numbers, URLs -> [NAME], [EMAIL], ...
    deidentify_names: list[str] = field(default_factory=list)
    remove_redaction_marks: bool = True  # XXXX, [NAME], [REDACTED] (not tokens; the text keeps them)
    remove_transcription_notes: bool = True  # [inaudible], (unintelligible), (laughs), [crosstalk]
    remove_timestamps: bool = True  # 00:12:03, [12:03 pm]


@dataclass(frozen=True)
class ModelConfig:
    """One topic model to fit. Keys other than these depend on the model type."""

    type: Literal["lda", "nmf"]
    n_topics: int = 10
    name: str | None = None
    guided: bool = False
    extra_topics: int = 3
    seed_strength: float = 50.0
    # LDA (gensim)
    alpha: Union[Literal["symmetric", "asymmetric", "auto"], float] = "symmetric"  # noqa: UP007
    eta: float | None = None
    passes: int = 20
    iterations: int = 200
    chunksize: int | None = None
    multicore: bool = False
    engine: Literal["gensim", "tomotopy"] = "gensim"  # tomotopy: optional extra, unguided LDA only
    # NMF (scikit-learn)
    input: Literal["tfidf", "counts"] = "tfidf"
    init: Literal["nndsvd", "nndsvda", "nndsvdar", "random"] = "nndsvda"
    beta_loss: Literal["frobenius", "kullback-leibler"] = "frobenius"
    l1_ratio: float = 0.0
    alpha_W: float = 0.0
    alpha_H: Union[Literal["same"], float] = "same"  # noqa: UP007
    max_iter: int = 400

    @property
    def label(self) -> str:
        """The model's name in outputs: `name`, or type and K (`lda_k8`); a guided model's K
        depends on the codebook, so it is named by its extra topics (`guided_lda_x3`)."""
        if self.name:
            return self.name
        if self.guided:
            return f"guided_{self.type}_x{self.extra_topics}"
        return f"{self.type}_k{self.n_topics}"


LDA_ONLY = {"alpha", "eta", "passes", "iterations", "chunksize", "multicore", "engine"}
NMF_ONLY = {"input", "init", "beta_loss", "l1_ratio", "alpha_W", "alpha_H", "max_iter"}


@dataclass(frozen=True)
class CodebookConfig:
    """The researcher's codebook (YAML, CSV or REFI-QDA .qdc)."""

    path: Path | None = None


@dataclass(frozen=True)
class CodingsConfig:
    """Human codings for agreement figures (CSV `document,code,text` or with offsets, or .qdpx)."""

    path: Path | None = None
    holdout: float = 0.0
    min_positives: int = 5


@dataclass(frozen=True)
class AlignConfig:
    """How topics are matched to codes."""

    threshold: float = 0.25
    split_ratio: float = 0.6


@dataclass(frozen=True)
class EvaluateConfig:
    """Model evaluation: coherence measures and stability across seeds."""

    coherence: list[Literal["c_v", "c_npmi", "u_mass"]] = field(default_factory=lambda: ["c_v", "c_npmi", "u_mass"])
    stability_seeds: int = 3


@dataclass(frozen=True)
class CacheConfig:
    """Cache of the preprocessed corpus, keyed by the input files and the corpus, speakers,
    segment and preprocess settings. `path` defaults to `.topicbook-cache` next to the config file
    (no cache for a config built in Python without `path`)."""

    enabled: bool = True
    path: Path | None = None


@dataclass(frozen=True)
class ReportConfig:
    """What the run folder shows."""

    quotes_per_topic: int = 5
    top_terms: int = 10
    explorer: bool = True
    transcripts: Union[Literal["auto"], bool] = "auto"  # noqa: UP007  # full transcripts in the explorer; auto: when small
    relevance_lambda: float = 0.6
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunConfig:
    """A whole run: inputs, preprocessing, models, codebook and report."""

    corpus: CorpusConfig
    name: str = "run"
    seed: int = 42
    speakers: SpeakersConfig = field(default_factory=SpeakersConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    models: list[ModelConfig] = field(
        default_factory=lambda: [ModelConfig(type="lda"), ModelConfig(type="nmf")]
    )
    codebook: CodebookConfig = field(default_factory=CodebookConfig)
    codings: CodingsConfig = field(default_factory=CodingsConfig)
    align: AlignConfig = field(default_factory=AlignConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    source: Path | None = field(default=None, compare=False)


# range checks: key -> (predicate, description)
_RANGES: dict[str, tuple[typing.Callable[[Any], bool], str]] = {
    "seed": (lambda v: v >= 0, "an int >= 0"),
    "segment.min_tokens": (lambda v: v >= 0, "an int >= 0"),
    "segment.window": (lambda v: v >= 10, "an int >= 10"),
    "segment.overlap": (lambda v: v >= 0, "an int >= 0"),
    "preprocess.min_df": (lambda v: v >= 1 if isinstance(v, int) else 0 < v < 1, "an int >= 1 or a float in (0, 1)"),
    "preprocess.max_df": (lambda v: 0 < v <= 1, "a float in (0, 1]"),
    "preprocess.max_vocab": (lambda v: v is None or v >= 10, "an int >= 10"),
    "preprocess.phrase_threshold": (lambda v: 0 < v <= 1, "a float in (0, 1] (npmi scoring)"),
    "models.n_topics": (lambda v: v >= 2, "an int >= 2"),
    "models.extra_topics": (lambda v: v >= 0, "an int >= 0"),
    "models.seed_strength": (lambda v: v > 0, "a float > 0"),
    "models.passes": (lambda v: v >= 1, "an int >= 1"),
    "models.iterations": (lambda v: v >= 1, "an int >= 1"),
    "models.chunksize": (lambda v: v is None or v >= 1, "an int >= 1"),
    "models.max_iter": (lambda v: v >= 1, "an int >= 1"),
    "models.l1_ratio": (lambda v: 0 <= v <= 1, "a float in [0, 1]"),
    "evaluate.stability_seeds": (lambda v: 0 <= v <= 50, "an int in [0, 50]"),
    "codings.holdout": (lambda v: 0 <= v < 1, "a float in [0, 1)"),
    "codings.min_positives": (lambda v: v >= 1, "an int >= 1"),
    "align.threshold": (lambda v: 0 <= v <= 1, "a float in [0, 1]"),
    "align.split_ratio": (lambda v: 0 < v <= 1, "a float in (0, 1]"),
    "report.quotes_per_topic": (lambda v: v >= 0, "an int >= 0"),
    "report.top_terms": (lambda v: v >= 3, "an int >= 3"),
    "report.relevance_lambda": (lambda v: 0 <= v <= 1, "a float in [0, 1]"),
}


# --------------------------------------------------------------------------- loading


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a YAML run config; relative paths resolve from its folder."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found. Check the path, or copy configs/demo.yaml to start one.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}). Save the config as UTF-8.") from None
    data = parse_yaml(text, path)
    if data is None:
        raise ConfigError(f"{path}: the config is empty. Add at least `corpus: {{path: ...}}`.")
    return config_from_dict(data, base_dir=path.parent.resolve(), source=path)


MAX_YAML_NODES = 1_000_000  # values after expanding aliases; a large codebook has ~10^5


def parse_yaml(text: str, path: Path) -> Any:
    """Safe YAML parsing with the error's line number; no object construction.

    Aliases (``*name``) are counted as often as they are used: a document that expands to more
    than ``MAX_YAML_NODES`` values (a "billion laughs" alias bomb) is refused before it is built.
    """
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            size = _expanded_size(node, {})
            if size > MAX_YAML_NODES:
                raise ConfigError(f"{path}: the YAML expands to more than {MAX_YAML_NODES:,} values through its aliases (*name), which looks like a YAML bomb; refused. Write the values out without aliases.")
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark is not None else "somewhere"
        problem = exc.problem or "invalid YAML"
        raise ConfigError(f"{path}: {where}: {problem}. Fix the YAML syntax there.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML ({exc}).") from None
    except RecursionError:
        raise ConfigError(f"{path}: the YAML is nested too deeply to read. Flatten the lists and mappings.") from None


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Number of values `node` stands for once every alias is expanded (memoised per node)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once (PyYAML builds it as a cycle)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        total += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[key] = total
    return total


def config_from_dict(data: Any, *, base_dir: Path, source: Path | None = None) -> RunConfig:
    """Build a :class:`RunConfig` from parsed YAML, checking every key and value."""
    where = str(source) if source else "config"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the config must be a mapping of sections (corpus, models, ...); got {_type_name(data)}.")
    if "corpus" not in data:
        raise ConfigError(f"{where}: missing section 'corpus'. Add `corpus: {{path: <folder or table>}}`.")
    cfg = _build(RunConfig, data, "", where, base_dir)
    if source is not None:
        cfg = dataclasses.replace(cfg, source=source)
    return cfg


def _build(cls: type, data: Any, prefix: str, where: str, base_dir: Path) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: '{prefix.rstrip('.')}' must be a mapping of keys; got {_type_name(data)}.")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        key_s = str(key)
        if key_s not in fields:
            raise ConfigError(f"{where}: unknown key '{prefix}{key_s}'{_suggest(key_s, fields)}")
        kwargs[key_s] = _convert(hints[key_s], value, f"{prefix}{key_s}", where, base_dir)
    missing = [
        n for n, f in fields.items()
        if n not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{where}: missing key '{prefix}{missing[0]}'. Add it to the '{prefix.rstrip('.') or 'top'}' section.")
    obj = cls(**kwargs)
    if cls is ModelConfig:
        _check_model_keys(obj, data, prefix, where)
    return obj


def _check_model_keys(model: ModelConfig, data: dict, prefix: str, where: str) -> None:
    foreign = NMF_ONLY if model.type == "lda" else LDA_ONLY
    for key in data:
        if key in foreign:
            raise ConfigError(f"{where}: key '{prefix}{key}' does not apply to type '{model.type}'. Remove it, or set `type: {'nmf' if model.type == 'lda' else 'lda'}`.")


def _convert(hint: Any, value: Any, key: str, where: str, base_dir: Path) -> Any:
    range_key = re.sub(r"\[\d+\]", "", key)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _convert(option, value, key, where, base_dir)
            except ConfigError as exc:
                errors.append(exc)
        allowed = " or ".join(_describe(o) for o in options)
        raise ConfigError(f"{where}: '{key}' must be {allowed}; got {value!r}.")
    if origin is Literal:
        if value in args and type(value) is type(args[args.index(value)]):
            return value
        allowed = ", ".join(repr(a) for a in args)
        raise ConfigError(f"{where}: '{key}' must be one of {allowed}; got {value!r}.")
    if origin is list:
        if isinstance(value, str | int | float) and args[0] is not dict:
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{where}: '{key}' must be a list; got {_type_name(value)}.")
        return [_convert(args[0], v, f"{key}[{i}]", where, base_dir) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: '{key}' must be a mapping; got {_type_name(value)}.")
        return {str(k): _convert(args[1], v, f"{key}.{k}", where, base_dir) for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, f"{key}.", where, base_dir)
    if hint is Path:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: '{key}' must be a path (text); got {value!r}.")
        p = Path(value).expanduser()
        return p if p.is_absolute() else (base_dir / p).resolve()
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be true or false; got {value!r}.")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: '{key}' must be {_range_text(range_key, 'an int')}; got {value!r}.")
        _check_range(range_key, value, key, where)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: '{key}' must be {_range_text(range_key, 'a number')}; got {value!r}.")
        value = float(value)
        _check_range(range_key, value, key, where)
        return value
    if hint is str:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be text; got {value!r} (YAML reads yes/no/on/off as true/false). Put the word in quotes.")
        if not isinstance(value, str | int | float):
            raise ConfigError(f"{where}: '{key}' must be text; got {value!r}.")
        return str(value)
    raise TypeError(f"unsupported config type {hint!r}")  # pragma: no cover - programming error


def _check_range(range_key: str, value: Any, key: str, where: str) -> None:
    check = _RANGES.get(range_key)
    if check and not check[0](value):
        raise ConfigError(f"{where}: '{key}' must be {check[1]}; got {value!r}.")


def _range_text(range_key: str, default: str) -> str:
    return _RANGES[range_key][1] if range_key in _RANGES else default


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return ", ".join(repr(a) for a in typing.get_args(hint))
    if origin is list:
        return "a list"
    return {int: "an int", float: "a number", str: "text", bool: "true or false", Path: "a path"}.get(hint, str(hint))


def _suggest(key: str, valid: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
    if close:
        return f". Did you mean '{close[0]}'?"
    return f". Valid keys: {', '.join(sorted(valid))}."


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", type(None): "nothing"}.get(type(value), type(value).__name__)


# --------------------------------------------------------------------------- writing


def config_to_dict(cfg: RunConfig, *, relative_to: Path | None = None) -> dict[str, Any]:
    """The resolved config as plain data (all defaults filled in), for YAML or JSON.

    Paths are written relative to `relative_to` when given (so that a run folder does not
    record the user's absolute paths), else as absolute paths. The names of
    `preprocess.deidentify_names` are never written out, only their count.
    """

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value):
            skip = {"source"}
            if isinstance(value, ModelConfig):
                skip |= NMF_ONLY if value.type == "lda" else LDA_ONLY
            out = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in skip}
            if isinstance(value, PreprocessConfig) and value.deidentify_names:
                out["deidentify_names"] = [f"<{len(value.deidentify_names)} names, not written to outputs>"]
            return out
        if isinstance(value, Path):
            if relative_to is not None:
                try:
                    return Path(_relpath(value, relative_to)).as_posix()
                except ValueError:
                    return value.name
            return str(value)
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return plain(cfg)


def _relpath(path: Path, start: Path) -> str:
    import os

    return os.path.relpath(path, start)


def dump_config(cfg: RunConfig, *, relative_to: Path | None = None) -> str:
    """The resolved config as YAML text."""
    return yaml.safe_dump(config_to_dict(cfg, relative_to=relative_to), sort_keys=False, allow_unicode=True)
