"""Typed run configuration, strict YAML loading and the resolved config.

A run config is a YAML mapping with the sections below. Every key is checked when the config is
loaded, before any input is read: an unknown key is an error that suggests the nearest valid
one; a value of the wrong type or out of range is an error naming the key and the allowed
values; settings that do not work together (two models with one name, a guided model without a
codebook, the tomotopy engine with a guided model, a language preprocessing cannot handle) are
errors too. Relative paths are resolved from the folder of the config file.

Design. Each section is a frozen pydantic (v2) dataclass with ``extra="forbid"``. Pydantic
dataclasses rather than ``BaseModel``, because the package and its tests use
``dataclasses.replace(cfg, ...)`` (which re-validates the rebuilt section), ``dataclasses.fields``
and ``dataclasses.is_dataclass``, and all of those keep working. A field's type carries its
bounds (``annotated_types``: ``Ge(2)``, ``Interval(gt=0, le=1)``); the one-line messages ("must
be an int >= 2") and the model adapters' scikit-learn ``_parameter_constraints``
(:mod:`topicbook.models.params`) are both derived from those types, so each bound is written
once. The value types are YAML-strict as before: no true/false for a number, no '5' for an int,
an int is taken for a float (1 -> 1.0), a number for text, a single value for a list. A model is
an :class:`LdaConfig` or an :class:`NmfConfig`, picked by its ``type`` (a discriminated union),
so a key of the other type is an error; ``ModelConfig(type="lda", ...)`` still builds the right
one. Checks across fields run on :class:`RunConfig` once its fields are valid. Pydantic's errors
become our one-line :class:`ConfigError` in one place (:func:`_config_error`), first error in the
order of the YAML keys, and its wording never reaches the user. Built directly in Python, an
invalid section raises pydantic's ``ValidationError`` (a ValueError).

>>> cfg = config_from_dict({"corpus": {"path": "."}}, base_dir=Path("/data"))
>>> cfg.corpus.path
PosixPath('/data')
>>> ModelConfig(type="nmf", n_topics=4)
NmfConfig(type='nmf', n_topics=4, name=None, guided=False, extra_topics=3, seed_strength=50.0, input='tfidf', init='nndsvda', beta_loss='frobenius', l1_ratio=0.0, alpha_W=0.0, alpha_H='same', max_iter=400)
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
import os
import types
import typing
from collections.abc import Iterable
from dataclasses import field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from annotated_types import Ge, Gt, Interval, Le, Lt
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.config import ConfigDict
from pydantic.dataclasses import dataclass
from pydantic.types import AllowInfNan
from pydantic_core import PydanticCustomError

from topicbook.errors import ConfigError
from topicbook.heap import collector_paused
from topicbook.languages import language_problem
from topicbook.names import name_problem

# --------------------------------------------------------------------------- value types
# YAML-strict scalars. Their own error texts are pydantic's and never shown: _config_error
# writes the message from the field's type.


@dataclasses.dataclass(frozen=True)
class Hint:
    """A note appended to a field's description in messages: "a float in (0, 1] (npmi scoring)"."""

    text: str


def _int(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise PydanticCustomError("int_type", "Input should be an integer")
    return int(value)


def _float(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise PydanticCustomError("float_type", "Input should be a number")
    return float(value)


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("string_type", "Input should be text (YAML reads yes/no/on/off as true/false)")
    return str(value) if isinstance(value, int | float) else value


def _as_list(value: Any) -> Any:
    """A single value where a list belongs is a list of one (`include: "*.txt"`)."""
    return [value] if isinstance(value, str | int | float) else value


def _language(value: Any) -> Any:
    value = _text(value)
    return value.strip().lower() if isinstance(value, str) else value


def _file_name(value: str) -> str:
    """A name that becomes part of a file name (the run's, a model's): refused when the
    file-name rule (:func:`topicbook.names.safe_name`) leaves nothing of it or it holds a NUL."""
    problem = name_problem(value)
    if problem is not None:
        raise PydanticCustomError("file_name", "{problem}", {"problem": problem})
    return value


def _path(value: Any, info: ValidationInfo) -> Path:
    """A path; relative ones resolve from `base_dir` in the validation context (the config's
    folder) when there is one."""
    if isinstance(value, Path):
        path = value
    elif isinstance(value, str) and value.strip():
        path = Path(value)
    else:
        raise PydanticCustomError("path_type", "Input should be a path (text)")
    path = path.expanduser()
    base_dir = (info.context or {}).get("base_dir")
    return path if path.is_absolute() or base_dir is None else (Path(base_dir) / path).resolve()


Int = Annotated[int, BeforeValidator(_int)]
Float = Annotated[float, BeforeValidator(_float), AllowInfNan(False)]  # .inf and .nan are no bounds
Text = Annotated[str, BeforeValidator(_text), Strict()]
Bool = Annotated[bool, Strict()]
TextList = Annotated[list[Text], BeforeValidator(_as_list)]
FileName = Annotated[Text, AfterValidator(_file_name)]  # kept as written; files use its safe form
ConfigPath = Annotated[Path, BeforeValidator(_path)]
Seed = Annotated[Int, Interval(ge=0, lt=2**32)]  # numpy's and gensim's RandomState take 0 .. 2**32 - 1
LEFT_TO_RIGHT = Field(union_mode="left_to_right")  # a union tries its types in order, as written

SECTION = ConfigDict(extra="forbid")

# --------------------------------------------------------------------------- sections


@dataclass(frozen=True, config=SECTION)
class CorpusConfig:
    """Where the texts are. A folder of transcripts, or one CSV/JSONL table. `language` is an
    ISO 639-1 code (any case; stored in lower case)."""

    path: ConfigPath
    include: TextList = field(
        default_factory=lambda: ["*.txt", "*.md", "*.docx", "*.odt", "*.pdf", "*.vtt", "*.srt"]
    )
    metadata: ConfigPath | None = None
    id_column: Text = "id"
    text_column: Text = "text"
    codes_column: Text | None = None
    language: Annotated[str, BeforeValidator(_language), Strict()] = "en"
    remove_page_break_repeats: Bool = True  # PDF: a line repeated at the top of the next page (MAXQDA)
    follow_symlinks: Bool = False  # read files reached through symbolic links (they may point anywhere)


@dataclass(frozen=True, config=SECTION)
class SpeakersConfig:
    """Who speaks: `interviewer` is `auto` or a list of labels; `keep` respondent or all turns."""

    interviewer: Annotated[Union[Literal["auto"], TextList], LEFT_TO_RIGHT] = "auto"  # noqa: UP007
    keep: Literal["respondent", "all"] = "respondent"


@dataclass(frozen=True, config=SECTION)
class SegmentConfig:
    """Analysis units: whole turns, paragraphs, or windows of about `window` tokens."""

    unit: Literal["turn", "paragraph", "window"] = "turn"
    min_tokens: Annotated[Int, Ge(0)] = 15
    window: Annotated[Int, Ge(10)] = 120
    overlap: Annotated[Int, Ge(0)] = 0  # below `window` (checked on RunConfig)


@dataclass(frozen=True, config=SECTION)
class PreprocessConfig:
    """Tokenisation, stopwords, lemmas or stems, phrases, pruning of the vocabulary."""

    lemmatize: Literal["lemma", "stem", "none"] = "lemma"
    stopwords: Bool = True
    filler_words: Bool = True
    extra_stopwords: TextList = field(default_factory=list)
    phrases: Bool = True
    phrase_threshold: Annotated[Float, Interval(gt=0, le=1), Hint("npmi scoring")] = 0.5
    min_df: Annotated[Union[Annotated[Int, Ge(1)], Annotated[Float, Interval(gt=0, lt=1)]], LEFT_TO_RIGHT] = 2  # noqa: UP007
    max_df: Annotated[Float, Interval(gt=0, le=1)] = 0.5
    max_vocab: Annotated[Int, Ge(10)] | None = 20000
    min_token_length: Annotated[Int, Ge(0)] = 2
    deidentify: Bool = False  # names, e-mails, phone numbers, URLs -> [NAME], [EMAIL], ...
    deidentify_names: TextList = field(default_factory=list)
    remove_redaction_marks: Bool = True  # XXXX, [NAME], [REDACTED] (not tokens; the text keeps them)
    remove_transcription_notes: Bool = True  # [inaudible], (unintelligible), (laughs), [crosstalk]
    remove_timestamps: Bool = True  # 00:12:03, [12:03 pm]


@dataclass(frozen=True, config=SECTION)
class ModelConfig:
    """One topic model to fit: the keys every type has. A model is an :class:`LdaConfig` or
    an :class:`NmfConfig`; ``ModelConfig(type="lda", ...)`` builds the one its `type` names."""

    type: Literal["lda", "nmf"]
    n_topics: Annotated[Int, Ge(2)] = 10
    name: FileName | None = None
    guided: Bool = False
    extra_topics: Annotated[Int, Ge(0)] = 3
    seed_strength: Annotated[Float, Gt(0)] = 50.0

    def __new__(cls, *args: Any, **kwargs: Any) -> ModelConfig:  # noqa: D102 - see the class docstring
        if cls is ModelConfig:
            cls = MODEL_TYPES.get(kwargs.get("type"), cls)  # type: ignore[arg-type]
        return super().__new__(cls)

    @property
    def label(self) -> str:
        """The model's name in outputs: `name`, or type and K (`lda_k8`); a guided model's K
        depends on the codebook, so it is named by its extra topics (`guided_lda_x3`)."""
        if self.name:
            return self.name
        if self.guided:
            return f"guided_{self.type}_x{self.extra_topics}"
        return f"{self.type}_k{self.n_topics}"


@dataclass(frozen=True, config=SECTION)
class LdaConfig(ModelConfig):
    """LDA (gensim's online variational Bayes; or tomotopy's Gibbs sampling, unguided only).
    The keys are :class:`topicbook.models.LdaModel`'s parameters."""

    type: Literal["lda"] = "lda"
    alpha: Annotated[Union[Literal["symmetric", "asymmetric", "auto"], Annotated[Float, Gt(0)]], LEFT_TO_RIGHT] = "symmetric"  # noqa: UP007
    eta: Annotated[Float, Gt(0)] | None = None
    passes: Annotated[Int, Ge(1)] = 20
    iterations: Annotated[Int, Ge(1)] = 200
    chunksize: Annotated[Int, Ge(1)] | None = None
    multicore: Bool = False
    engine: Literal["gensim", "tomotopy"] = "gensim"  # tomotopy: optional extra, unguided LDA only


@dataclass(frozen=True, config=SECTION)
class NmfConfig(ModelConfig):
    """NMF (scikit-learn). The keys are :class:`topicbook.models.NmfModel`'s parameters."""

    type: Literal["nmf"] = "nmf"
    input: Literal["tfidf", "counts"] = "tfidf"
    init: Literal["nndsvd", "nndsvda", "nndsvdar", "random"] = "nndsvda"
    beta_loss: Literal["frobenius", "kullback-leibler"] = "frobenius"
    l1_ratio: Annotated[Float, Interval(ge=0, le=1)] = 0.0
    alpha_W: Annotated[Float, Ge(0)] = 0.0
    alpha_H: Annotated[Union[Literal["same"], Annotated[Float, Ge(0)]], LEFT_TO_RIGHT] = "same"  # noqa: UP007
    max_iter: Annotated[Int, Ge(1)] = 400


MODEL_TYPES: dict[str, type[LdaConfig] | type[NmfConfig]] = {"lda": LdaConfig, "nmf": NmfConfig}
AnyModelConfig = Annotated[Union[LdaConfig, NmfConfig], Field(discriminator="type")]  # noqa: UP007


@dataclass(frozen=True, config=SECTION)
class CodebookConfig:
    """The researcher's codebook (YAML, CSV or REFI-QDA .qdc)."""

    path: ConfigPath | None = None


@dataclass(frozen=True, config=SECTION)
class CodingsConfig:
    """Human codings for agreement figures (CSV `document,code,text` or with offsets, or .qdpx),
    and for the `learned` score: `reviewed` lists segments coded one by one (suggestions.csv or
    sample.json; only those count as coded in their documents), `group_column` the metadata
    column naming the unit the cross-validation keeps whole (a respondent of a survey table;
    default: the document), `suggestions` how many uncoded segments suggestions.csv proposes."""

    path: ConfigPath | None = None
    holdout: Annotated[Float, Interval(ge=0, lt=1)] = 0.0
    min_positives: Annotated[Int, Ge(1)] = 5
    resamples: Annotated[Int, Interval(ge=0, le=100_000), Hint("bootstrap resamples; 0: no intervals")] = 300
    sample: ConfigPath | None = None  # sample.json of `topicbook sample`: agreement on exactly those segments
    reviewed: ConfigPath | None = None
    group_column: Text | None = None
    suggestions: Annotated[Int, Ge(0)] = 20


@dataclass(frozen=True, config=SECTION)
class AlignConfig:
    """How topics are matched to codes."""

    threshold: Annotated[Float, Interval(ge=0, le=1)] = 0.25
    split_ratio: Annotated[Float, Interval(gt=0, le=1)] = 0.6


@dataclass(frozen=True, config=SECTION)
class EvaluateConfig:
    """Model evaluation: coherence measures and stability across seeds."""

    coherence: Annotated[list[Literal["c_v", "c_npmi", "u_mass"]], BeforeValidator(_as_list)] = field(
        default_factory=lambda: ["c_v", "c_npmi", "u_mass"])
    stability_seeds: Annotated[Int, Interval(ge=0, le=50)] = 3


@dataclass(frozen=True, config=SECTION)
class CacheConfig:
    """Cache of the preprocessed corpus, keyed by the input files and the corpus, speakers,
    segment and preprocess settings. `path` defaults to `.topicbook-cache` next to the config file
    (no cache for a config built in Python without `path`)."""

    enabled: Bool = True
    path: ConfigPath | None = None


@dataclass(frozen=True, config=SECTION)
class ReportConfig:
    """What the run folder shows."""

    quotes_per_topic: Annotated[Int, Ge(0)] = 5
    top_terms: Annotated[Int, Ge(3)] = 10
    explorer: Bool = True
    transcripts: Annotated[Union[Literal["auto"], Bool], LEFT_TO_RIGHT] = "auto"  # noqa: UP007  # full transcripts in the explorer; auto: when small
    relevance_lambda: Annotated[Float, Interval(ge=0, le=1)] = 0.6
    labels: dict[Text, Text] = field(default_factory=dict)
    # figures/ formats: png (default), svg (on request; text stays text), [] for no figures
    figure_formats: Annotated[list[Literal["png", "svg"]], BeforeValidator(_as_list)] = field(
        default_factory=lambda: ["png"])


@dataclass(frozen=True, config=SECTION)
class RunConfig:
    """A whole run: inputs, preprocessing, models, codebook and report. `source` is the config
    file it was read from (not a YAML key)."""

    corpus: CorpusConfig
    name: FileName = "run"
    seed: Seed = 42
    # BLAS/OpenMP threads of the run's own process: auto (one below 50,000 segments) or a number
    threads: Annotated[Union[Literal["auto"], Annotated[Int, Ge(1)]], LEFT_TO_RIGHT] = "auto"  # noqa: UP007
    speakers: SpeakersConfig = field(default_factory=SpeakersConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    models: Annotated[list[AnyModelConfig], BeforeValidator(_as_list)] = field(
        default_factory=lambda: [LdaConfig(), NmfConfig()]
    )
    codebook: CodebookConfig = field(default_factory=CodebookConfig)
    codings: CodingsConfig = field(default_factory=CodingsConfig)
    align: AlignConfig = field(default_factory=AlignConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    source: Path | None = field(default=None, compare=False)

    @model_validator(mode="after")
    def _settings_work_together(self) -> RunConfig:
        problem = settings_problem(self)
        if problem is not None:
            raise PydanticCustomError("topicbook", "{message}", {"message": problem})
        return self


# Names a model cannot take: the label-free and learned scoring methods and agreement.json's
# other sections sit beside the models' names in agreement.json, scores.npz and autocode_scores.csv.
RESERVED_MODEL_NAMES = frozenset({"similarity", "selftrained", "keywords", "learned", "learned_fit", "learning_curve"})


def settings_problem(cfg: RunConfig) -> str | None:
    """The first pair of settings that do not work together, as a one-line message, or None."""
    reruns = cfg.evaluate.stability_seeds
    if cfg.seed + reruns >= 2**32:
        return (f"'seed' must be below 2**32 - {reruns}, as the stability re-fits use seeds seed+1 to "
                f"seed+{reruns} (evaluate.stability_seeds); got {cfg.seed}.")
    if cfg.segment.overlap >= cfg.segment.window:
        return f"'segment.overlap' must be smaller than segment.window ({cfg.segment.window}); got {cfg.segment.overlap}."
    problem = language_problem(cfg.corpus.language, stopwords=cfg.preprocess.stopwords,
                               lemmatize=cfg.preprocess.lemmatize)
    if problem is not None:
        return problem
    if cfg.codings.sample is not None and cfg.codings.path is None and cfg.corpus.codes_column is None:
        return "'codings.sample' needs the coded sample as codings: set codings.path to the coded export (or remove codings.sample)."
    has_codings = cfg.codings.path is not None or cfg.corpus.codes_column is not None
    for key in ("reviewed", "group_column"):
        if getattr(cfg.codings, key) is not None and not has_codings:
            return f"'codings.{key}' needs human codings: set codings.path (or a table corpus's corpus.codes_column), or remove codings.{key}."
    names: set[str] = set()
    for model in cfg.models:
        name = model.label
        if name == "sample":
            return "models: the name 'sample' is reserved (agreement.json's section for a hand-coded sample). Give the model another `name`."
        if name in names:
            return f"models: two models are named '{name}'. Give one a different `name`."
        if name in RESERVED_MODEL_NAMES:
            return f"models: the name '{name}' is reserved (a scoring method or a section of agreement.json). Give the model another `name`."
        names.add(name)
        if model.guided and cfg.codebook.path is None:
            return f"models: '{name}' has guided: true but the config has no codebook. Set codebook.path or guided: false."
        if isinstance(model, LdaConfig) and model.engine == "tomotopy":
            if model.guided:
                return f"models: '{name}' has engine: tomotopy and guided: true; the tomotopy engine fits unguided LDA only. Set engine: gensim or guided: false."
            if model.multicore:
                return f"models: '{name}' has engine: tomotopy and multicore: true; the tomotopy engine samples with one worker, so that a seed gives one result. Set multicore: false."
    return None


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


# libyaml's parser when PyYAML was built with it (10-20x faster on a codebook of 10^4 codes);
# PyYAML's own parser, whose messages topicbook reports, for any document libyaml refuses.
_FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _load_checked(loader_class: Any, text: str, path: Path) -> Any:
    """The document parsed by `loader_class`, refused (ConfigError) when its aliases expand to
    more than MAX_YAML_NODES values; YAML errors propagate."""
    loader = loader_class(text)
    try:
        with collector_paused():  # nodes, then values: bulk objects that stay alive
            node = loader.get_single_node()
            if node is None:
                return None
            size = _expanded_size(node, {})
            if size > MAX_YAML_NODES:
                raise ConfigError(f"{path}: the YAML expands to more than {MAX_YAML_NODES:,} values through its aliases (*name), which looks like a YAML bomb; refused. Write the values out without aliases.")
            return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_yaml(text: str, path: Path) -> Any:
    """Safe YAML parsing with the error's line number; no object construction.

    Aliases (``*name``) are counted as often as they are used: a document that expands to more
    than ``MAX_YAML_NODES`` values (a "billion laughs" alias bomb) is refused before it is built.
    Parsed by libyaml when available; a document it refuses is parsed again by PyYAML's own
    parser, so that every error message is PyYAML's.
    """
    if _FAST_LOADER is not None:
        try:
            return _load_checked(_FAST_LOADER, text, path)
        except (yaml.YAMLError, RecursionError):
            pass  # the same document again below, for PyYAML's message
    try:
        return _load_checked(yaml.SafeLoader, text, path)
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


_RUN_CONFIG: TypeAdapter[RunConfig] = TypeAdapter(RunConfig)


def config_from_dict(data: Any, *, base_dir: Path, source: Path | None = None) -> RunConfig:
    """Build a :class:`RunConfig` from parsed YAML, checking every key and value."""
    where = str(source) if source else "config"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the config must be a mapping of sections (corpus, models, ...); got {_type_name(data)}.")
    if "corpus" not in data:
        raise ConfigError(f"{where}: missing section 'corpus'. Add `corpus: {{path: <folder or table>}}`.")
    data = _string_keys(data)
    if "source" in data:  # a field of RunConfig, but not a key of the YAML
        raise ConfigError(f"{where}: unknown key 'source'{_suggest('source', yaml_keys(RunConfig))}")
    try:
        return _RUN_CONFIG.validate_python({**data, "source": source}, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise _config_error(exc, data, where) from None


def _string_keys(value: Any) -> Any:
    """Parsed YAML with every mapping key as text (`1: x` is the key '1')."""
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


# --------------------------------------------------------------------------- field types
# What the messages and the model adapters' parameter constraints are derived from.


def split_annotation(hint: Any) -> tuple[Any, list[Any]]:
    """A field type without its ``Annotated`` layers, and their metadata (bounds, validators)."""
    metadata: list[Any] = []
    while typing.get_origin(hint) is Annotated:
        metadata.extend(hint.__metadata__)
        hint = typing.get_args(hint)[0]
    return hint, metadata


def bounds_of(metadata: Iterable[Any]) -> dict[str, float]:
    """The bounds in a field's metadata: any of ``ge``, ``gt``, ``le``, ``lt``."""
    out: dict[str, float] = {}
    for item in metadata:
        if isinstance(item, Ge | Gt | Le | Lt | Interval):
            for name in ("ge", "gt", "le", "lt"):
                value = getattr(item, name, None)
                if value is not None:
                    out[name] = value
    return out


def union_options(hint: Any) -> tuple[Any, ...] | None:
    """The types of a union (``X | Y``, ``Union[X, Y]``), or None for any other type."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        return typing.get_args(hint)
    return None


_FIELD_TYPES: dict[type, dict[str, Any]] = {}


def field_types(cls: type) -> dict[str, Any]:
    """A section's field names and types, with their ``Annotated`` metadata."""
    if cls not in _FIELD_TYPES:
        _FIELD_TYPES[cls] = typing.get_type_hints(cls, include_extras=True)
    return _FIELD_TYPES[cls]


def yaml_keys(cls: type) -> list[str]:
    """The keys a section takes in YAML; a model takes those of every type (the others' are
    refused as not applying to its type)."""
    if issubclass(cls, ModelConfig):
        return list(dict.fromkeys(k for model in MODEL_TYPES.values() for k in field_types(model)))
    return [k for k in field_types(cls) if k != "source"]


def _is_section(hint: Any) -> bool:
    """A dataclass section, or the union of the model types."""
    options = union_options(hint)
    if options is not None:
        return all(_is_section(o) for o in options)
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


# --------------------------------------------------------------------------- messages

_ABSENT = object()


@dataclasses.dataclass
class _Spot:
    """Where one of pydantic's errors points in the YAML: the dotted key ('models[1].n_topics'),
    the value written there, its field type, the section holding it and a sort position (the
    order of the keys in the YAML)."""

    error: Any
    key: str = ""
    value: Any = _ABSENT
    hint: Any = None
    section: type | None = None
    unknown: str | None = None  # a key the section does not have
    position: list[int] = dataclasses.field(default_factory=list)


def _config_error(exc: ValidationError, data: dict[str, Any], where: str) -> ConfigError:
    """Pydantic's first error, in the order of the YAML keys, as our one-line message (the only
    place where pydantic's errors are turned into messages)."""
    spots = [_locate(error, data) for error in exc.errors(include_url=False)]
    first = min(spots, key=lambda spot: spot.position)
    return ConfigError(f"{where}: {_message(first)}")


def _locate(error: Any, data: dict[str, Any]) -> _Spot:
    spot = _Spot(error, value=data, hint=RunConfig)
    for part in error["loc"]:
        hint, _ = split_annotation(spot.hint)
        if _is_section(hint):
            if union_options(hint) is not None:  # the model union: `part` is the chosen type
                spot.hint = MODEL_TYPES[str(part)]
                continue
            raw = spot.value if isinstance(spot.value, dict) else {}
            keys = list(raw)
            name = str(part)
            spot.section = hint
            spot.key = f"{spot.key}.{name}" if spot.key else name
            spot.value = raw.get(name, _ABSENT)
            if name not in field_types(hint) or name == "source":
                spot.unknown = name
                foreign = issubclass(hint, ModelConfig) and name in yaml_keys(hint)
                spot.position.append(keys.index(name) + (len(keys) if foreign else 0))  # as before: after the model's values
                break
            spot.hint = field_types(hint)[name]
            spot.position.append(keys.index(name) if name in keys else 2 * len(keys))
        elif typing.get_origin(hint) is list and isinstance(part, int):
            spot.key += f"[{part}]"
            if isinstance(spot.value, list):
                spot.value = spot.value[part]
            spot.hint = typing.get_args(hint)[0]
            spot.position.append(part)
        elif typing.get_origin(hint) is dict and isinstance(spot.value, dict) and part in spot.value:
            spot.key += f".{part}"
            spot.position.append(list(spot.value).index(part))
            spot.value = spot.value[part]
            spot.hint = typing.get_args(hint)[1]
        else:  # the tag of one type of a union: the error is about the union's value
            break
    return spot


def _message(spot: _Spot) -> str:
    error, key, value = spot.error, spot.key, spot.value
    kind = error["type"]
    if kind == "topicbook":
        return str(error["ctx"]["message"])
    if kind == "file_name":
        return f"{key}: {error['ctx']['problem']}"
    if spot.unknown is not None and spot.section is not None:
        section = spot.section
        if issubclass(section, ModelConfig) and spot.unknown in yaml_keys(section):
            own = field_types(section)["type"]
            mine = typing.get_args(split_annotation(own)[0])[0]
            other = next(t for t in MODEL_TYPES if t != mine)
            return f"key '{key}' does not apply to type '{mine}'. Remove it, or set `type: {other}`."
        return f"unknown key '{key}'{_suggest(spot.unknown, yaml_keys(section))}"
    if kind == "missing":
        return f"missing key '{key}'. Add it to the '{key.rpartition('.')[0] or 'top'}' section."
    if kind == "union_tag_not_found":
        return f"missing key '{key}.type'. Add it to the '{key}' section."
    if kind == "union_tag_invalid":
        return _must_be(f"{key}.type", Literal["lda", "nmf"], value.get("type") if isinstance(value, dict) else value)
    return _must_be(key, spot.hint, None if value is _ABSENT else value)


def _must_be(key: str, hint: Any, value: Any) -> str:
    """"'key' must be <what the type allows>; got <value>." """
    base, _ = split_annotation(hint)
    if _is_section(base):
        return f"'{key}' must be a mapping of keys; got {_type_name(value)}."
    origin = typing.get_origin(base)
    if origin is list:
        return f"'{key}' must be a list; got {_type_name(value)}."
    if origin is dict:
        return f"'{key}' must be a mapping; got {_type_name(value)}."
    if origin is Literal:
        return f"'{key}' must be one of {describe(base)}; got {value!r}."
    if base is str and isinstance(value, bool):
        return f"'{key}' must be text; got {value!r} (YAML reads yes/no/on/off as true/false). Put the word in quotes."
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)  # what the check saw
    return f"'{key}' must be {describe(hint)}; got {value!r}."


def describe(hint: Any, *, in_union: bool = False) -> str:
    """What a field type allows, in words: "an int >= 2", "'symmetric', 'auto' or a float > 0"."""
    base, metadata = split_annotation(hint)
    options = union_options(base)
    if options is not None:
        text = " or ".join(describe(o, in_union=True) for o in options if o is not type(None))
    elif typing.get_origin(base) is Literal:
        text = ", ".join(repr(a) for a in typing.get_args(base))
    elif typing.get_origin(base) is list:
        text = "a list"
    elif typing.get_origin(base) is dict:
        text = "a mapping"
    elif _is_section(base):
        text = "a mapping of keys"
    elif base is Path:
        text = "a path" if in_union else "a path (text)"
    elif base is bool:
        text = "true or false"
    elif base in (int, float):
        text = _range_text(base, bounds_of(metadata))
    else:
        text = "text"
    notes = [m.text for m in metadata if isinstance(m, Hint)]
    return f"{text} ({'; '.join(notes)})" if notes else text


def _range_text(kind: type, bounds: dict[str, float]) -> str:
    noun = "an int" if kind is int else "a float"
    if not bounds:
        return "an int" if kind is int else "a number"
    low = ("[", bounds["ge"]) if "ge" in bounds else ("(", bounds["gt"]) if "gt" in bounds else None
    high = ("]", bounds["le"]) if "le" in bounds else (")", bounds["lt"]) if "lt" in bounds else None
    if low and high:
        return f"{noun} in {low[0]}{_number(low[1])}, {_number(high[1])}{high[0]}"
    if low:
        return f"{noun} {'>=' if low[0] == '[' else '>'} {_number(low[1])}"
    assert high is not None  # noqa: S101 - a bound exists
    return f"{noun} {'<=' if high[0] == ']' else '<'} {_number(high[1])}"


def _number(value: float) -> str:
    """A bound as written: 2**32 for the large powers of two, else the number."""
    if isinstance(value, int) and value >= 2**16 and value & (value - 1) == 0:
        return f"2**{value.bit_length() - 1}"
    return str(value)


def _suggest(key: str, valid: Iterable[str]) -> str:
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
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "source"}
            if isinstance(value, PreprocessConfig) and value.deidentify_names:
                out["deidentify_names"] = [f"<{len(value.deidentify_names)} names, not written to outputs>"]
            return out
        if isinstance(value, Path):
            if relative_to is not None:
                try:
                    return Path(os.path.relpath(value, relative_to)).as_posix()
                except ValueError:
                    return value.name
            return str(value)
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    out: dict[str, Any] = plain(cfg)
    return out


def dump_config(cfg: RunConfig, *, relative_to: Path | None = None) -> str:
    """The resolved config as YAML text."""
    return yaml.safe_dump(config_to_dict(cfg, relative_to=relative_to), sort_keys=False, allow_unicode=True)
