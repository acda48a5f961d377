"""The `topicbook` command: thin click commands over the library.

One error boundary turns the package's own exceptions into a one-line message on stderr and
exit code 1; usage errors exit 2 (click's convention). No traceback for a user's mistake.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from topicbook import __version__
from topicbook.errors import TopicbookError
from topicbook.interrupts import interrupted, raise_if_interrupted, watch_interrupts
from topicbook.logs import WarningSummary, log_python_warning
from topicbook.names import name_problem, printable
from topicbook.threads import ThreadSetting

log = logging.getLogger("topicbook.cli")


def _echo(message: str = "", *, err: bool = False) -> None:
    """Print one line with control characters escaped: a file name, document id or speaker
    label can hold ANSI escape sequences, which must not reach the terminal."""
    click.echo(printable(message), err=err)


class _PrintableFormatter(logging.Formatter):
    """Log lines with control characters escaped (see _echo)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = printable(record.message)
        return super().formatMessage(record)

if TYPE_CHECKING:  # the commands import the library lazily, so that `topicbook --help` stays fast
    from topicbook.codebook import CodeKeywords, KeywordHit
    from topicbook.codings import HumanCodings


# --------------------------------------------------------------------------- shared arguments and options
# One definition per argument and option that several commands take, so that each means and
# defaults the same everywhere (sqlite-utils style). A new command uses these.

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_JOBS = min(2, os.cpu_count() or 1)

config_argument = click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
run_dir_argument = click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))


def jobs_option(what: str) -> Callable[[F], F]:
    """--jobs N: worker processes for `what`; the same default in every command."""
    return click.option("--jobs", type=click.IntRange(1, 64), default=DEFAULT_JOBS,
                        help=f"Processes for {what}; default 2, or 1 on a one-core machine. Results do not depend on it.")


class ThreadsParam(click.ParamType):
    """`--threads`: auto or a whole number >= 1 (the config key `threads`)."""

    name = "auto|N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> ThreadSetting:
        text = str(value).strip().lower()
        if text == "auto":
            return "auto"
        if text.isdigit() and int(text) >= 1:
            return int(text)
        self.fail(f"'{value}' is neither auto nor a whole number >= 1.", param, ctx)


threads_option = click.option(
    "--threads", type=ThreadsParam(), default=None,
    help="BLAS/OpenMP threads of this process: auto (one below 50,000 segments) or a number; worker processes use one. Overrides the config's threads; results do not depend on it.")


def out_folder_option(what: str) -> Callable[[F], F]:
    """--out FOLDER: where a command puts the new folder it writes (a run, a sweep)."""
    return click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"),
                        show_default=True,
                        help=f"Folder that receives the new {what} folder (created if missing; nothing in it is replaced).")


def out_file_option(default: str) -> Callable[[F], F]:
    """--out FILE: the file a command writes, `default` when not given."""
    return click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help=f"File to write (default: {default}).")


def force_option(what: str) -> Callable[[F], F]:
    """--force: replace the file a command would otherwise refuse to overwrite."""
    return click.option("--force", is_flag=True, help=f"Replace an existing {what} (without it, an existing one is an error).")


def seed_option(what: str) -> Callable[[F], F]:
    """--seed S: the seed of a command's random draws, the run's seed when not given."""
    return click.option("--seed", type=click.IntRange(0, 2**32 - 1), help=f"Seed of {what} (default: the run's seed).")


open_option = click.option("--open", "open_browser", is_flag=True,
                           help="Open explorer.html in the default browser (needs a display; without one, a warning says so).")


class TopicbookGroup(click.Group):
    """A click group whose commands report TopicbookError as one line and exit 1."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any) -> click.Context:
        argv = [info_name or "topicbook", *args]
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta["topicbook.argv"] = argv
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        with watch_interrupts():  # Ctrl-C anywhere ends the command with 130, even one a library swallowed
            try:
                result = super().invoke(ctx)
                raise_if_interrupted()
            except KeyboardInterrupt:
                _exit_interrupted(ctx)
            except TopicbookError as exc:
                if interrupted():  # a failure caused by the interrupt (a stopped worker, ...)
                    _exit_interrupted(ctx)
                _discard_warnings()
                _echo(f"Error: {exc}", err=True)
                ctx.exit(1)
            except (click.exceptions.Exit, click.ClickException, click.Abort):
                raise
            except Exception:
                if interrupted():
                    _exit_interrupted(ctx)
                raise
        _flush_warnings()
        return result


def _exit_interrupted(ctx: click.Context) -> None:
    """Ctrl-C: the held warnings are dropped, one line says what was kept, exit code 130."""
    _discard_warnings()
    _echo("Interrupted: no run folder was completed; partial output was removed.", err=True)
    ctx.exit(130)


# Warnings: held while a command reads and checks its inputs and printed once they are checked
# (before `run` fits) and at the end, one line per kind (topicbook.logs); dropped when an error
# ends the command; -v prints each as it happens.
_held: WarningSummary | None = None


def _configure_logging(verbose: int, quiet: bool) -> None:
    global _held
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    live = logging.StreamHandler(sys.stderr)
    live.setFormatter(_PrintableFormatter("%(levelname)s: %(message)s" if verbose else "Error: %(message)s"))
    handlers: list[logging.Handler] = [live]
    _held = None
    if not verbose and not quiet:
        live.setLevel(logging.ERROR)
        _held = WarningSummary()
        handlers.append(_held)
    root = logging.getLogger("topicbook")
    root.handlers[:] = handlers
    root.setLevel(level)
    root.propagate = False


def _forget_warnings(kinds: Sequence[str] = ()) -> None:
    """Forget held warnings that the command shows in its own words (see topicbook.logs)."""
    if _held is not None:
        _held.forget(kinds)


def _flush_warnings() -> None:
    if _held is not None:
        for line in _held.lines():
            _echo(f"Warning: {line}", err=True)


def _discard_warnings() -> None:
    if _held is not None:
        _held.discard()


@click.group(cls=TopicbookGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="topicbook")
@click.option("-v", "--verbose", count=True,
              help="Every warning as it happens, and each step (-vv: debug too). Goes before the command: topicbook -v validate study.yaml.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors: no warnings and no progress bars.")
def main(verbose: int, quiet: bool) -> None:
    """topicbook: topic models next to your qualitative codebook.

    Reads interview transcripts, fits LDA and NMF, compares the topics with your codebook
    and writes a run folder with an offline explorer page. Nothing leaves your machine.
    Warnings are summarised, one line per kind, once the inputs are checked and at the end;
    an error is one line (exit code 1).

    \b
    Example (a study, step by step):
        topicbook init interviews/ --out study.yaml
        topicbook validate study.yaml
        topicbook run study.yaml --open
        topicbook export runs/study-20261129T115631Z --format qdpx
    """
    _configure_logging(verbose, quiet)
    ctx = click.get_current_context()
    ctx.with_resource(warnings.catch_warnings())  # restores the display hook when the command ends
    warnings.showwarning = log_python_warning


def _file_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An option that names a folder (--name): refused in one line when the file-name rule
    leaves nothing of it (README, "Names and paths"); kept as typed otherwise."""
    problem = None if value is None else name_problem(value)
    if problem is not None:
        raise TopicbookError(f"--name: {problem}")
    return value


@main.command(short_help="Run the pipeline for CONFIG; write a new run folder.")
@config_argument
@click.option("--name", callback=_file_name, help="Run name (default: the config's `name`); the folder name is its safe form.")
@out_folder_option("run")
@open_option
@jobs_option("preprocessing and the stability re-fits")
@click.option("--record-paths", is_flag=True,
              help="Record absolute input and output paths (and the command as typed) in manifest.json; off: no file of the run holds an absolute path.")
@click.option("--holdout", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Share of the coded documents to report agreement on, never used to set a threshold (overrides codings.holdout).")
@threads_option
@click.pass_context
def run(ctx: click.Context, config: Path, name: str | None, out_dir: Path, open_browser: bool, jobs: int,
        record_paths: bool, holdout: float | None, threads: ThreadSetting | None) -> None:
    """Run the whole pipeline for CONFIG and write a new run folder.

    Reads the corpus, codebook and codings the config names and checks them as `validate`
    does, before any model is fitted; then fits every model, compares the topics with the
    codes, scores every segment for every code and writes OUT/<name>-<UTC time>/ (manifest,
    tables, explorer.html). A run never replaces another.

    \b
    Example:
        topicbook run configs/demo.yaml
        topicbook run study.yaml --name pilot --out results --jobs 1 --open
    """
    import dataclasses

    from topicbook.config import load_config
    from topicbook.heap import collector_paused, no_collection_at_exit

    no_collection_at_exit()  # the process ends after the run: no final walk over its objects
    with collector_paused():  # importing scikit-learn, nltk, ... makes objects that all stay alive
        from topicbook.pipeline import run as run_pipeline
    cfg = load_config(config)
    if holdout is not None:
        cfg = dataclasses.replace(cfg, codings=dataclasses.replace(cfg.codings, holdout=holdout))
    if threads is not None:
        cfg = dataclasses.replace(cfg, threads=threads)
    folder, result = run_pipeline(cfg, out_dir=out_dir, name=name, command=ctx.meta.get("topicbook.argv"), jobs=jobs,
                                  record_paths=record_paths, progress=_progress_wanted(), checked=_flush_warnings)
    _echo(f"Run folder: {folder}")
    verdicts = result.verdicts
    if verdicts is not None:
        counts = verdicts.counts()
        _echo(f"Presence in the data ({len(verdicts.presence)} codes): "
              + ", ".join(f"{n} {p}" for p, n in counts.items()))
    for model in result.models:
        ev = result.evaluation[model.name]
        coh = ", ".join(f"{m} {v.mean:.3f}" for m, v in ev.coherence.items())
        line = f"  {model.name}: {model.n_topics} topics, {coh}, diversity {ev.diversity:.2f}"
        if ev.stability is not None:
            line += f", stability {ev.stability.mean:.2f}"
        if verdicts is not None:
            codes = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in verdicts.status_counts(model.name).items())
            unstable = verdicts.unstable(model.name)
            topics = verdicts.topic_counts(model.name)
            line += (f"; codes: {codes}" + (f" ({unstable} unstable)" if unstable else "")
                     + f"; topics: {topics['explained']} explained, {topics['emergent']} emergent, "
                        f"{topics['procedural']} procedural")
        _echo(line)
    run_agreement = result.agreement
    if run_agreement is not None and run_agreement.figures:
        figures = run_agreement.figures
        floor = next(iter(figures.values())).length_floor_auc
        covered, coded = run_agreement.coverage()
        partial = ""
        if 2 * covered < coded:
            where = " in the held-out documents" if run_agreement.holdout_documents else ""
            partial = (f"; agreement covers {covered} of {coded} coded codes (the others have fewer than "
                       f"codings.min_positives={cfg.codings.min_positives} coded segments{where})")
        _echo(f"Agreement with {run_agreement.codings.source if run_agreement.codings else 'the codings'} "
                   f"(macro ROC AUC; segment length alone: {floor}{partial}):")
        ranked = sorted(figures.items(), key=lambda kv: -(kv[1].macro_roc_auc or 0))
        _echo("  " + ", ".join(f"{name} {fig.macro_roc_auc}" for name, fig in ranked))
    if run_agreement is not None:
        _learned_lines(run_agreement, folder)
    explorer = folder / "explorer.html"
    if explorer.exists():
        _echo(f"Explorer: {explorer}")
        if open_browser:
            _open_page(explorer)


@main.command(short_help="Check CONFIG and all its inputs; fit nothing.")
@config_argument
def validate(config: Path) -> None:
    """Check CONFIG, its corpus, codebook and codings without fitting a model.

    Prints the documents, the interviewer decision with its evidence, segments, tokens after
    each preprocessing step, what seeds each code (its keywords as corpus terms, or the name
    and definition terms of a code without keywords; groups are not seeded), how many codings
    were read and placed on segments, and every problem that would weaken or stop a run.

    \b
    Example:
        topicbook validate study.yaml
        topicbook -v validate study.yaml     (also lists each coding not placed)
    """
    from topicbook.codebook import MISSING_KEYWORDS_KIND
    from topicbook.codings import UNPLACED_KIND
    from topicbook.config import load_config
    from topicbook.pipeline import fit_problems, prepare

    cfg = load_config(config)
    prepared = prepare(cfg)
    human = prepared.human_codings()  # a wrong path or columns, or nothing placed: the one error line
    _forget_warnings(kinds=(MISSING_KEYWORDS_KIND, UNPLACED_KIND))  # listed below in detail
    _flush_warnings()
    report = prepared.preprocess_report()
    echo = _echo
    echo(f"Config: {config} (ok)")
    echo(f"Documents: {report.documents} ({report.documents_with_speaker_labels} with speaker labels)")
    roles = prepared.segmentation.roles
    who = ", ".join(sorted(roles.interviewers)) or "none"
    echo(f"Interviewer(s): {who} [{roles.method}]")
    for line in roles.evidence:
        echo(f"  - {line}")
    echo("Turns: " + ", ".join(f"{n} {role}" for role, n in sorted(report.turns_by_role.items())))
    echo(f"Segments: {report.segments} ({cfg.segment.unit}s, kept: {cfg.speakers.keep}); {report.segments_modelled} with tokens after preprocessing")
    steps = report.tokens_after_step
    echo("Tokens: " + " -> ".join(f"{k} {v:,}" for k, v in steps.items()) + f"; vocabulary {report.vocabulary_size:,}")
    short, empty = report.dropped_short_pieces, report.dropped_segments
    echo(f"Dropped: {len(short)} pieces shorter than segment.min_tokens, {len(empty)} segments with no token left"
         + (f" (first: {(short or empty)[0][0]})" if short or empty else ""))
    if report.page_break_repeats:
        echo(f"PDF page breaks: {sum(report.page_break_repeats.values())} repeated lines dropped in "
             f"{len(report.page_break_repeats)} documents (corpus.remove_page_break_repeats)")
    problems = list(report.warnings)
    book = prepared.codebook
    if book is not None:
        usable = sum(1 for row in prepared.keywords if row.usable and not row.group)
        groups = sum(1 for row in prepared.keywords if row.group)
        if groups:
            echo(f"Codebook: {len(book)} codes: {len(book) - groups} analysed ({usable} with seed terms in the vocabulary) "
                 f"and {groups} groups (parent codes: not seeded or scored)")
        else:
            echo(f"Codebook: {len(book)} codes ({usable} with seed terms in the vocabulary)")
        for row in prepared.keywords:
            echo(f"  - {row.code}: {_seed_text(row, len(book.children(row.code)))}")
            if row.missing:
                problems.append(f"code '{row.code}': keywords not in the vocabulary: {', '.join(row.missing)}")
            if not row.usable and not row.group:
                problems.append(f"code '{row.code}' has no seed term in the vocabulary; it cannot be matched")
    else:
        echo("Codebook: none (set codebook.path to compare topics with codes)")
    if human is not None:
        for line in _codings_lines(human, cfg.codings.min_positives, verbose=_verbose()):
            echo(line)
    elif book is None and cfg.codings.path is not None:
        problems.append("codings.path is set but the config has no codebook.path; codings are placed through the codebook's codes, so they are not used. Set codebook.path.")
    problems += fit_problems(prepared)
    if problems:
        echo(f"Problems ({len(problems)}):")
        for p in problems:
            echo(f"  - {p}")
    else:
        echo("Problems: none")


@main.command(short_help="Fit a K x seed grid; recommend K per model.")
@config_argument
@click.option("--k", "k_range", default="4:20:2", show_default=True,
              help="Numbers of topics to try: START:STOP:STEP with STOP included (4:20:2 is 4, 6, ..., 20), or a list such as 5,8,10.")
@click.option("--seeds", type=click.IntRange(1, 100), default=5, show_default=True,
              help="Fits per K, with seeds seed, seed+1, ... from the config: the first on all segments, the others on random 90% subsamples (for stability).")
@click.option("--models", "model_types", default="lda,nmf", show_default=True,
              help="Model types of the config to sweep, comma-separated: lda, nmf (lda_guided: the guided model only).")
@click.option("--coherence", "measures", default="c_v,u_mass", show_default=True,
              help="Coherence measures, comma-separated (c_v, c_npmi, u_mass); the first ranks K.")
@jobs_option("the grid's fits on this machine, ignored with --scheduler")
@click.option("--scheduler", help="Address of an existing Dask scheduler (tcp://HOST:PORT) to run the grid on.")
@out_folder_option("sweep")
@threads_option
def sweep(config: Path, k_range: str, seeds: int, model_types: str, measures: str, jobs: int,
          scheduler: str | None, out_dir: Path, threads: ThreadSetting | None) -> None:
    """Fit every model type of CONFIG over a K x seed grid; recommend K per model.

    Writes OUT/<name>-sweep-<UTC time>/ with sweep.csv (one row per fit), sweep_summary.csv
    (per model and K), sweep.json (the recommendation and its rule) and sweep.png/.svg. The
    recommended K has the best mean of its criteria, each scaled across K (coherence,
    diversity, stability and, with a codebook, the codes found); a K at either end of the
    range is flagged with a warning. A starting point: read the topics at the neighbouring K.

    \b
    Example:
        topicbook sweep study.yaml --k 4:20:2 --seeds 3
        topicbook sweep study.yaml --k 5,8,10 --models nmf --coherence u_mass
        topicbook sweep study.yaml --k 5:40:5 --scheduler tcp://HOST:8786
    """
    from topicbook.config import load_config
    from topicbook.evaluate import COHERENCE_MEASURES
    from topicbook.pipeline import prepare
    from topicbook.sweep import parse_k_range, run_sweep

    ks = parse_k_range(k_range)
    chosen = [m.strip() for m in measures.split(",") if m.strip()]
    bad = [m for m in chosen if m not in COHERENCE_MEASURES]
    if bad:
        raise TopicbookError(f"--coherence: unknown measure '{bad[0]}'. Use any of {', '.join(COHERENCE_MEASURES)}.")
    cfg = load_config(config)
    if threads is not None:
        import dataclasses

        cfg = dataclasses.replace(cfg, threads=threads)
    prepared = prepare(cfg)
    _flush_warnings()  # the inputs' warnings, before the grid is fitted
    folder, summary, recommended = run_sweep(
        prepared, ks=ks, n_seeds=seeds, model_types=[t.strip() for t in model_types.split(",") if t.strip()],
        out_dir=out_dir, name=cfg.name, jobs=jobs, scheduler=scheduler, measures=chosen,
        progress=_progress_wanted())
    _echo(f"Sweep folder: {folder}")
    for model, rec in recommended.items():
        _echo(f"  {model}: recommended K = {rec.n_topics} (best mean of scaled {', '.join(rec.criteria)})")
    for model, rec in recommended.items():
        warning = rec.warning(model)
        if warning:
            log.warning("%s", warning)


@main.command(short_help="Rebuild (and open) a run's explorer.html.")
@run_dir_argument
@open_option
def explore(run_dir: Path, open_browser: bool) -> None:
    """Rebuild RUN_DIR/explorer.html from the run's explorer_data.json (no refitting).

    RUN_DIR is a folder written by `topicbook run`. Use it after upgrading topicbook, or to
    open the page of a run.

    \b
    Example:
        topicbook explore runs/mooc-demo-20261129T115631Z --open
    """
    from topicbook.report.explorer import rebuild_explorer

    page = rebuild_explorer(run_dir)
    _echo(f"Explorer: {page}")
    if open_browser:
        _open_page(page)


@main.command(short_help="Export a run for QDA software (.qdc/.qdpx) or as tables.")
@run_dir_argument
@click.option("--format", "fmt", type=click.Choice(["qdc", "qdpx", "csv", "xlsx"]), required=True,
              help="qdc: your codebook and the topics as codes; qdpx: a project with the transcripts, topicbook's codings and your own; csv/xlsx: the codebook and codings as tables.")
@out_file_option("RUN_DIR/export/<run folder>.<format>")
@force_option("export file")
@click.option("--decisions", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="decisions.json saved by the explorer's \"Download decisions\" button: renamed topics, topics made new codes, memos, accepted and rejected verdicts.")
def export(run_dir: Path, fmt: str, out: Path | None, force: bool, decisions: Path | None) -> None:
    """Export RUN_DIR's topics and codings for QDA software (REFI-QDA .qdc/.qdpx) or as tables.

    qdc: your codebook plus each model's topics as candidate codes. qdpx: the same with the
    transcripts and codings: each segment's dominant topic and its predicted codes, by the
    user topicbook:<run name>, and your own codings (when the run had them) by a user of
    their own. csv/xlsx: the codebook and the codings as tables that codebook.path and
    codings.path read back. Only the run folder is read: no corpus needed.

    With --decisions (from the explorer): renamed topics carry their new names, topics you
    made new codes are codes of a group "topicbook: new codes" (coded where the topic
    dominates), memos are notes of their codes (.qdpx) or part of their descriptions, and
    csv/xlsx list every decision, rejected verdicts included.

    \b
    Example:
        topicbook export runs/study-20261129T115631Z --format qdpx
        topicbook export runs/study-20261129T115631Z --format csv --out review/topics.csv --force
        topicbook export runs/study-20261129T115631Z --format qdpx --decisions ~/Downloads/decisions.json
    """
    from topicbook.export import export_run

    _echo(f"Exported: {export_run(run_dir, fmt, out=out, force=force, decisions=decisions)}")


@main.command(short_help="Print a run's agreement with the human codings.")
@run_dir_argument
def compare(run_dir: Path) -> None:
    """Print RUN_DIR's agreement with human codings, per model and scoring method.

    Per method: codes evaluated, macro ROC AUC, the AUC of segment length alone (the floor to
    read it against), macro and micro F1 and Cohen's kappa, from the run's agreement.json.

    \b
    Example:
        topicbook compare runs/mooc-demo-20261129T115631Z
    """
    from topicbook.report.run_folder import load_run

    figures = load_run(run_dir).agreement_figures
    if not figures:
        raise TopicbookError(f"{run_dir}: no agreement.json; set codings.path in the config (or a corpus codes_column) and run again.")
    _echo(f"{'method':28s} {'codes':>5s} {'ROC AUC':>8s} {'length':>7s} {'macro F1':>8s} {'micro F1':>8s} {'kappa':>6s}")
    for name, fig in figures.items():
        cells = ["-" if v is None else f"{v:.3f}"
                 for v in (fig.macro_roc_auc, fig.length_floor_auc, fig.macro_f1, fig.micro_f1, fig.kappa)]
        _echo(f"{name:28s} {fig.n_codes:5d} {cells[0]:>8s} {cells[1]:>7s} {cells[2]:>8s} {cells[3]:>8s} {cells[4]:>6s}")


@main.command(short_help="Draw a random sample of a run's segments for hand coding, or the segments to code next.")
@run_dir_argument
@click.option("--n", "n", type=click.IntRange(1), help="Segments to draw at random.")
@click.option("--next", "next_n", type=click.IntRange(1),
              help="Instead: the N uncoded segments whose coding would teach the learned score most (a run with codings; the first N of its suggestions).")
@click.option("--stratify", type=click.Choice(["code", "topic", "document"]),
              help="Proportional allocation over strata: the best predicted code (similarity score), a model's dominant topic, or the document.")
@click.option("--model", help="Model whose dominant topic is the stratum (--stratify topic; default: the first model).")
@seed_option("the draw")
@click.option("--format", "fmt", type=click.Choice(["csv", "qdpx"]), required=True,
              help="csv: segment_id, document, start, end, text (--next: suggestions.csv's columns); qdpx: a REFI-QDA project with the sampled spans marked.")
@out_file_option("RUN_DIR/validation/sample.<format>; --next: RUN_DIR/validation/next.<format>")
@force_option("sample file")
@click.pass_context
def sample(ctx: click.Context, run_dir: Path, n: int | None, next_n: int | None, stratify: str | None,
           model: str | None, seed: int | None, fmt: str, out: Path | None, force: bool) -> None:
    """Draw a reproducible random sample of RUN_DIR's segments for hand coding in QDA software.

    Code the sample with your codebook, then give the coded export as codings.path and the
    sample's .json as codings.sample: the run reports agreement on exactly those segments.

    With --next N instead of --n: the segments to code next (see suggestions.csv); give their
    .json as codings.reviewed once they are coded.

    \b
    Example:
        topicbook sample runs/study-20261129T115631Z --n 60 --stratify code --format qdpx
        topicbook sample runs/study-20261129T115631Z --n 40 --seed 7 --format csv --out coding/sample.csv
        topicbook sample runs/study-20261129T115631Z --next 20 --format qdpx
    """
    if next_n is not None and n is None and not (stratify or model or seed is not None):
        _sample_next(run_dir, next_n, fmt, out, force)
        return
    if n is None or next_n is not None:
        _echo("Error: give either --n N (a random sample; with --stratify, --model, --seed) or --next N (what to code next).", err=True)
        ctx.exit(2)
    from topicbook.validation import sample_run, write_sample

    run, drawn = sample_run(run_dir, n=n, seed=seed, stratify=stratify, model=model)
    export, record = write_sample(run, drawn, fmt, out=out, force=force)
    how = f"stratified by {stratify} ({len(drawn.allocation)} strata)" if stratify else "simple random sample"
    _echo(f"Sample: {len(drawn.segment_ids)} of {drawn.population} segments, {how}, seed {drawn.seed}")
    _echo(f"Exported: {export}")
    _echo(f"Sample record: {record}")


@main.command(short_help="Write word- and topic-intrusion tasks for human raters.")
@run_dir_argument
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for intrusion.html and intrusion_key.json (default: RUN_DIR/validation).")
@click.option("--per-topic", type=click.IntRange(1, 20), default=1, show_default=True,
              help="Word tasks and quote tasks per topic.")
@seed_option("the draws and shuffles")
@click.option("--models", help="Models to test, comma-separated (default: all of the run's).")
@force_option("page and key")
def intrusion(run_dir: Path, out_dir: Path | None, per_topic: int, seed: int | None, models: str | None,
              force: bool) -> None:
    """Write word- and topic-intrusion tasks for RUN_DIR as one offline page for human raters.

    Send intrusion.html to the raters (never intrusion_key.json, which holds the answers); each
    downloads their answers, which `topicbook intrusion-score` scores.

    \b
    Example:
        topicbook intrusion runs/study-20261129T115631Z --per-topic 2
        topicbook intrusion runs/study-20261129T115631Z --models nmf_k10 --seed 3 --force
    """
    from topicbook.validation import make_intrusion

    chosen = [m.strip() for m in models.split(",") if m.strip()] if models else None
    page, key, tasks = make_intrusion(run_dir, out_dir=out_dir, per_topic=per_topic, seed=seed, models=chosen, force=force)
    kinds = {k: sum(1 for t in tasks.tasks if t.kind == k) for k in ("word", "topic")}
    _echo(f"Tasks: {kinds['word']} word intrusion, {kinds['topic']} topic intrusion (set {tasks.set_id}, seed {tasks.seed})")
    _echo(f"Page for the raters: {page}")
    _echo(f"Answer key (keep it; do not send it): {key}")


@main.command("intrusion-score", short_help="Score the raters' intrusion answers into intrusion.json.")
@run_dir_argument
@click.argument("answers", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), help="The answer key (default: RUN_DIR/validation/intrusion_key.json).")
@force_option("RUN_DIR/intrusion.json")
def intrusion_score(run_dir: Path, answers: tuple[Path, ...], key: Path | None, force: bool) -> None:
    """Score raters' ANSWERS (files saved by the intrusion page) into RUN_DIR/intrusion.json.

    Model precision (share of intruders found) per topic and model with 95% intervals, the
    chance level, and Krippendorff's alpha between raters when there are several. The explorer
    page is rebuilt to show them.

    \b
    Example:
        topicbook intrusion-score runs/study-20261129T115631Z answers/ana.json answers/ben.json
    """
    from topicbook.validation import score_intrusion

    target, scores = score_intrusion(run_dir, list(answers), key=key, force=force)
    _echo(f"Raters: {len(scores.raters)} ({', '.join(scores.raters)})")
    for model, kinds in scores.models.items():
        for kind, fig in kinds.items():
            shown = "-" if fig.precision is None else f"{fig.precision:.3f}"
            ci = "" if fig.ci_low is None else f" [{fig.ci_low:.3f}, {fig.ci_high:.3f}]"
            _echo(f"  {model} {kind} intrusion: precision {shown}{ci}, chance {fig.chance:.3f}, "
                       f"{fig.tasks} tasks, {fig.answers} answers")
    for kind, agreement in scores.agreement.items():
        alpha = "-" if agreement.krippendorff_alpha is None else f"{agreement.krippendorff_alpha:.3f}"
        _echo(f"  agreement between raters ({kind}): Krippendorff's alpha {alpha} over {agreement.units} tasks")
    _echo(f"Scores: {target}")


def _open_page(page: Path) -> None:
    """Open a page in the default browser, or say in one warning line why it cannot be."""
    unix = sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))
    if unix and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        log.warning("--open: no display here (DISPLAY and WAYLAND_DISPLAY are not set), so no browser can show the page; open %s on a machine with a screen.", page)
    elif not webbrowser.open(page.resolve().as_uri()):
        log.warning("--open: no web browser could be started; open %s in a browser yourself.", page)


def _sample_next(run_dir: Path, n: int, fmt: str, out: Path | None, force: bool) -> None:
    """`sample --next N`: the run's next N suggestions as csv or qdpx, with their record."""
    from topicbook.report.run_folder import load_run
    from topicbook.suggestions import next_suggestions, write_suggestions

    run = load_run(run_dir)
    picks = next_suggestions(run, n)
    export, record = write_suggestions(run, picks, fmt, out=out, force=force)
    _echo(f"Next: {len(picks)} uncoded segments to code, in {len({p.document for p in picks})} documents")
    _echo(f"Exported: {export}")
    _echo(f"Record (give it as codings.reviewed once they are coded): {record}")


def _learned_lines(run_agreement: Any, folder: Path) -> None:
    """The run summary's lines on `learned`: how it was fitted, its learning curve, suggestions."""
    from topicbook.agreement import learned_summary

    line = learned_summary(run_agreement)
    if line is None:
        return
    _echo(line)
    curve = run_agreement.curve
    if curve is not None and curve.points:
        points = ", ".join(f"{p.n_documents}: {'-' if p.macro_roc_auc is None else f'{p.macro_roc_auc:.3f}'}" for p in curve.points)
        prior = curve.points[0].prior_macro_roc_auc
        _echo(f"  learning curve (out-of-fold macro ROC AUC by coded documents trained on; {run_agreement.prior} "
              f"{'-' if prior is None else f'{prior:.3f}'}): {points}")
    if run_agreement.suggestions:
        _echo(f"  {len(run_agreement.suggestions)} segments to code next: {folder / 'suggestions.csv'}")


def _progress_wanted() -> bool:
    """Progress bars unless -q (they are drawn only when stderr is a terminal)."""
    return logging.getLogger("topicbook").isEnabledFor(logging.WARNING)


def _verbose() -> bool:
    """-v was given (INFO log lines are shown)."""
    return logging.getLogger("topicbook").isEnabledFor(logging.INFO)


def _keyword_text(hit: KeywordHit) -> str:
    """`skills -> skill (12)`: a keyword, the corpus terms it became, and its segment hits."""
    terms = " ".join(hit.terms)
    shown = hit.keyword if terms == hit.keyword.lower().replace(" ", "_") else f"{hit.keyword} -> {terms}"
    return f"{shown} ({hit.segments})"


TEXT_TERMS_SHOWN = 8


def _seed_text(row: CodeKeywords, children: int) -> str:
    """What seeds one code in `validate`: its keywords as corpus terms with segment counts; for
    a code without keywords in the vocabulary, the name and definition terms that seed it; a
    group says so."""
    if row.group:
        return f"group of {children} code{'s' if children != 1 else ''} (not seeded or scored)"
    found = [_keyword_text(k) for k in row.keywords if k.terms]
    if found:
        return ", ".join(found)
    head = "no keyword in the vocabulary; " if row.keywords else "no keywords; "
    if not row.text_terms:
        return head + "no term of its name or definition is in the vocabulary either"
    terms = [f"{t.term} ({t.segments})" for t in row.text_terms[:TEXT_TERMS_SHOWN]]
    more = f" and {len(row.text_terms) - TEXT_TERMS_SHOWN} more" if len(row.text_terms) > TEXT_TERMS_SHOWN else ""
    return head + "seeded by its name and definition: " + ", ".join(terms) + more


def _codings_lines(human: HumanCodings, min_positives: int, *, verbose: bool) -> list[str]:
    """`validate`'s codings lines: read, placed, why the others were not (each listed with -v),
    and how many codes are coded and evaluated."""
    line = f"Codings: {human.source}: {human.n_codings} read, {human.n_placed} placed on segments"
    unplaced = len(human.unmatched)
    if unplaced:
        reasons = ", ".join(f"{n} {reason}" for reason, n in human.unplaced_reasons().items())
        line += f"; {unplaced} not placed ({reasons})" + (": listed below" if verbose else "; `topicbook -v validate` lists them")
    lines = [line]
    if verbose:
        for u in human.unmatched:
            at = f"line {u['line']}: " if u.get("line") else ""
            lines.append(f"  - {at}document '{u['document']}', code '{u['code']}': {u['reason']}")
    positives = human.positives()
    coded = sum(1 for n in positives.values() if n)
    evaluated = sum(1 for n in positives.values() if n >= min_positives)
    lines.append(f"Coded codes: {coded} with codings, {evaluated} of them on at least codings.min_positives={min_positives} segments (agreement is computed for those)")
    return lines


@main.command(short_help="Write a config for a folder of transcripts.")
@click.argument("folder", type=click.Path(path_type=Path))
@out_file_option("<study name>.yaml in the current folder")
@force_option("config file")
def init(folder: Path, out: Path | None, force: bool) -> None:
    """Look at FOLDER (transcripts, or one CSV/JSONL table) and write a config for it.

    Finds the file types, speaker labels and the likely interviewer (with its evidence), a
    metadata table, each document's language, a codebook and codings, and writes a
    commented config that `topicbook run` completes as it is; prints what to check.

    \b
    Example:
        topicbook init interviews/ --out study.yaml
        topicbook validate study.yaml && topicbook run study.yaml
    """
    from topicbook.init import _study_name, findings_lines, write_config

    target = out or Path(f"{_study_name(folder.resolve())}.yaml")
    written, findings = write_config(folder, target, force=force)
    for line in findings_lines(findings, written):
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    main()
