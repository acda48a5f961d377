"""The `topicbook` command: thin click commands over the library.

One error boundary turns the package's own exceptions into a one-line message on stderr and
exit code 1; usage errors exit 2 (click's convention). No traceback for a user's mistake.
"""

from __future__ import annotations

import logging
import os
import sys
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from topicbook import __version__
from topicbook.errors import TopicbookError
from topicbook.interrupts import interrupted, raise_if_interrupted, watch_interrupts
from topicbook.names import name_problem, printable
from topicbook.threads import ThreadSetting


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
    from topicbook.codebook import KeywordHit


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
                return result
            except KeyboardInterrupt:
                _exit_interrupted(ctx)
            except TopicbookError as exc:
                if interrupted():  # a failure caused by the interrupt (a stopped worker, ...)
                    _exit_interrupted(ctx)
                _echo(f"Error: {exc}", err=True)
                ctx.exit(1)
            except (click.exceptions.Exit, click.ClickException, click.Abort):
                raise
            except Exception:
                if interrupted():
                    _exit_interrupted(ctx)
                raise


def _exit_interrupted(ctx: click.Context) -> None:
    _echo("Interrupted: no run folder was completed; partial output was removed.", err=True)
    ctx.exit(130)


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PrintableFormatter("%(levelname)s: %(message)s" if verbose else "Warning: %(message)s"))
    root = logging.getLogger("topicbook")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


@click.group(cls=TopicbookGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="topicbook")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def main(verbose: int, quiet: bool) -> None:
    """topicbook: topic models next to your qualitative codebook.

    Reads interview transcripts, fits LDA and NMF, compares the topics with your codebook
    and writes a run folder with an offline explorer page.
    """
    _configure_logging(verbose, quiet)


config_argument = click.argument("config", type=click.Path(dir_okay=False, path_type=Path))


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


def _file_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An option that names a folder (--name): refused in one line when the file-name rule
    leaves nothing of it (README, "Names and paths"); kept as typed otherwise."""
    problem = None if value is None else name_problem(value)
    if problem is not None:
        raise TopicbookError(f"--name: {problem}")
    return value


@main.command()
@config_argument
@click.option("--name", callback=_file_name, help="Run name (default: the config's `name`); the folder name is its safe form.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"),
              show_default=True, help="Folder that receives the run folder.")
@click.option("--open", "open_browser", is_flag=True, help="Open explorer.html in the default browser.")
@click.option("--jobs", type=click.IntRange(1, 64), default=min(2, os.cpu_count() or 1), show_default="2 or the number of cores",
              help="Processes for preprocessing and the stability re-fits (results do not depend on it).")
@click.option("--record-paths", is_flag=True,
              help="Record absolute input and output paths (and the command as typed) in manifest.json; off: no file of the run holds an absolute path.")
@click.option("--holdout", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Share of the coded documents to report agreement on, never used to set a threshold (overrides codings.holdout).")
@click.option("--threads", type=ThreadsParam(), default=None,
              help="BLAS/OpenMP threads of this process: auto (one below 50,000 segments) or a number; worker processes use one (overrides the config's threads).")
@click.pass_context
def run(ctx: click.Context, config: Path, name: str | None, out_dir: Path, open_browser: bool, jobs: int,
        record_paths: bool, holdout: float | None, threads: ThreadSetting | None) -> None:
    """Run the whole pipeline for CONFIG and write a new run folder."""
    import dataclasses

    from topicbook.config import load_config
    from topicbook.pipeline import run as run_pipeline

    cfg = load_config(config)
    if holdout is not None:
        cfg = dataclasses.replace(cfg, codings=dataclasses.replace(cfg.codings, holdout=holdout))
    if threads is not None:
        cfg = dataclasses.replace(cfg, threads=threads)
    folder, result = run_pipeline(cfg, out_dir=out_dir, name=name, command=ctx.meta.get("topicbook.argv"), jobs=jobs,
                                  record_paths=record_paths, progress=_progress_wanted())
    _echo(f"Run folder: {folder}")
    for model in result.models:
        ev = result.evaluation[model.name]
        coh = ", ".join(f"{m} {v.mean:.3f}" for m, v in ev.coherence.items())
        line = f"  {model.name}: {model.n_topics} topics, {coh}, diversity {ev.diversity:.2f}"
        if ev.stability is not None:
            line += f", stability {ev.stability.mean:.2f}"
        al = result.alignments.get(model.name)
        if al is not None:
            line += f", {len(al.matches)}/{len(al.code_ids)} codes matched, {len(al.emergent)} emergent topics, {len(al.not_found)} codes not found"
        _echo(line)
    run_agreement = result.agreement
    if run_agreement is not None and run_agreement.figures:
        figures = run_agreement.figures
        floor = next(iter(figures.values())).length_floor_auc
        _echo(f"Agreement with {run_agreement.codings.source if run_agreement.codings else 'the codings'} "
                   f"(macro ROC AUC; segment length alone: {floor}):")
        ranked = sorted(figures.items(), key=lambda kv: -(kv[1].macro_roc_auc or 0))
        _echo("  " + ", ".join(f"{name} {fig.macro_roc_auc}" for name, fig in ranked))
    if run_agreement is not None:
        _learned_lines(run_agreement, folder)
    explorer = folder / "explorer.html"
    if explorer.exists():
        _echo(f"Explorer: {explorer}")
        if open_browser:
            webbrowser.open(explorer.resolve().as_uri())


@main.command()
@config_argument
def validate(config: Path) -> None:
    """Check CONFIG, its corpus and codebook without fitting a model."""
    from topicbook.config import load_config
    from topicbook.pipeline import prepare

    cfg = load_config(config)
    prepared = prepare(cfg)
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
    problems = list(report.warnings)
    if prepared.codebook is not None:
        usable = sum(1 for row in prepared.keywords if row.usable)
        echo(f"Codebook: {len(prepared.codebook)} codes ({usable} with seed terms in the vocabulary)")
        for row in prepared.keywords:
            found = [_keyword_text(k) for k in row.keywords if k.terms]
            echo(f"  - {row.code}: " + (", ".join(found) if found else "no keyword in the vocabulary"))
            if row.missing:
                problems.append(f"code '{row.code}': keywords not in the vocabulary: {', '.join(row.missing)}")
            if not row.usable:
                problems.append(f"code '{row.code}' has no seed term in the vocabulary; it cannot be matched")
    else:
        echo("Codebook: none (set codebook.path to compare topics with codes)")
    for model in cfg.models:
        n = model.n_topics if not model.guided else None
        if n is not None and n >= report.segments_modelled:
            problems.append(f"model '{model.label}': n_topics={n} is not below the {report.segments_modelled} segments")
    if problems:
        echo(f"Problems ({len(problems)}):")
        for p in problems:
            echo(f"  - {p}")
    else:
        echo("Problems: none")


@main.command()
@config_argument
@click.option("--k", "k_range", default="4:20:2", show_default=True, help="Numbers of topics: START:STOP:STEP or a list 5,8,10.")
@click.option("--seeds", type=click.IntRange(1, 100), default=5, show_default=True, help="Seeds per K (seed, seed+1, ...).")
@click.option("--models", "model_types", default="lda,nmf", show_default=True, help="Model types of the config to sweep.")
@click.option("--coherence", "measures", default="c_v,u_mass", show_default=True, help="Coherence measures (c_v, c_npmi, u_mass); the first ranks K.")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Parallel processes on this machine.")
@click.option("--scheduler", help="Address of an existing Dask scheduler (tcp://HOST:PORT) to run the grid on.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"), show_default=True)
@click.option("--threads", type=ThreadsParam(), default=None,
              help="BLAS/OpenMP threads of this process: auto (one below 50,000 segments) or a number; worker processes use one (overrides the config's threads).")
def sweep(config: Path, k_range: str, seeds: int, model_types: str, measures: str, jobs: int,
          scheduler: str | None, out_dir: Path, threads: ThreadSetting | None) -> None:
    """Fit every model type of CONFIG over a K x seed grid; recommend K per model."""
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
            _echo(f"Warning: {warning}")


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--open", "open_browser", is_flag=True, help="Open explorer.html in the default browser.")
def explore(run_dir: Path, open_browser: bool) -> None:
    """Rebuild RUN_DIR/explorer.html from the run's explorer_data.json (no refitting)."""
    from topicbook.report.explorer import rebuild_explorer

    page = rebuild_explorer(run_dir)
    _echo(f"Explorer: {page}")
    if open_browser:
        webbrowser.open(page.resolve().as_uri())


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["qdc", "qdpx", "csv", "xlsx"]), required=True,
              help="qdc: codebook + topics as codes; qdpx: project with sources and codings; csv/xlsx: tables.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: RUN_DIR/export/<run>.<format>).")
@click.option("--force", is_flag=True, help="Replace an existing export file.")
def export(run_dir: Path, fmt: str, out: Path | None, force: bool) -> None:
    """Export RUN_DIR's topics and codings for QDA software (REFI-QDA .qdc/.qdpx) or as tables."""
    from topicbook.export import export_run

    _echo(f"Exported: {export_run(run_dir, fmt, out=out, force=force)}")


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
def compare(run_dir: Path) -> None:
    """Print RUN_DIR's agreement with human codings, per model and scoring method."""
    from topicbook.report.run_folder import load_run

    figures = load_run(run_dir).agreement_figures
    if not figures:
        raise TopicbookError(f"{run_dir}: no agreement.json; set codings.path in the config (or a corpus codes_column) and run again.")
    _echo(f"{'method':28s} {'codes':>5s} {'ROC AUC':>8s} {'length':>7s} {'macro F1':>8s} {'micro F1':>8s} {'kappa':>6s}")
    for name, fig in figures.items():
        cells = ["-" if v is None else f"{v:.3f}"
                 for v in (fig.macro_roc_auc, fig.length_floor_auc, fig.macro_f1, fig.micro_f1, fig.kappa)]
        _echo(f"{name:28s} {fig.n_codes:5d} {cells[0]:>8s} {cells[1]:>7s} {cells[2]:>8s} {cells[3]:>8s} {cells[4]:>6s}")


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--n", "n", type=click.IntRange(1), help="Segments to draw at random.")
@click.option("--next", "next_n", type=click.IntRange(1),
              help="Instead: the N uncoded segments whose coding would teach the learned score most (a run with codings; the first N of its suggestions).")
@click.option("--stratify", type=click.Choice(["code", "topic", "document"]),
              help="Proportional allocation over strata: the best predicted code (similarity score), a model's dominant topic, or the document.")
@click.option("--model", help="Model whose dominant topic is the stratum (--stratify topic; default: the first model).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), help="Seed of the draw (default: the run's seed).")
@click.option("--format", "fmt", type=click.Choice(["csv", "qdpx"]), required=True,
              help="csv: segment_id, document, start, end, text (--next: suggestions.csv's columns); qdpx: a REFI-QDA project with the sampled spans marked.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: RUN_DIR/validation/sample.<format>; --next: next.<format>).")
@click.option("--force", is_flag=True, help="Replace an existing sample file.")
@click.pass_context
def sample(ctx: click.Context, run_dir: Path, n: int | None, next_n: int | None, stratify: str | None,
           model: str | None, seed: int | None, fmt: str, out: Path | None, force: bool) -> None:
    """Draw a reproducible random sample of RUN_DIR's segments for hand coding in QDA software.

    Code the sample with your codebook, then give the coded export as codings.path and the
    sample's .json as codings.sample: the run reports agreement on exactly those segments.
    With --next N instead of --n: the segments to code next (see suggestions.csv); give their
    .json as codings.reviewed once they are coded.
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


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for intrusion.html and intrusion_key.json (default: RUN_DIR/validation).")
@click.option("--per-topic", type=click.IntRange(1, 20), default=1, show_default=True,
              help="Word tasks and quote tasks per topic.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), help="Seed of the draws and shuffles (default: the run's seed).")
@click.option("--models", help="Models to test, comma-separated (default: all of the run's).")
@click.option("--force", is_flag=True, help="Replace an existing page and key.")
def intrusion(run_dir: Path, out_dir: Path | None, per_topic: int, seed: int | None, models: str | None,
              force: bool) -> None:
    """Write word- and topic-intrusion tasks for RUN_DIR as one offline page for human raters.

    Send intrusion.html to the raters (never intrusion_key.json, which holds the answers); each
    downloads their answers, which `topicbook intrusion-score` scores.
    """
    from topicbook.validation import make_intrusion

    chosen = [m.strip() for m in models.split(",") if m.strip()] if models else None
    page, key, tasks = make_intrusion(run_dir, out_dir=out_dir, per_topic=per_topic, seed=seed, models=chosen, force=force)
    kinds = {k: sum(1 for t in tasks.tasks if t.kind == k) for k in ("word", "topic")}
    _echo(f"Tasks: {kinds['word']} word intrusion, {kinds['topic']} topic intrusion (set {tasks.set_id}, seed {tasks.seed})")
    _echo(f"Page for the raters: {page}")
    _echo(f"Answer key (keep it; do not send it): {key}")


@main.command("intrusion-score")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("answers", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), help="The answer key (default: RUN_DIR/validation/intrusion_key.json).")
@click.option("--force", is_flag=True, help="Replace an existing RUN_DIR/intrusion.json.")
def intrusion_score(run_dir: Path, answers: tuple[Path, ...], key: Path | None, force: bool) -> None:
    """Score raters' ANSWERS (files saved by the intrusion page) into RUN_DIR/intrusion.json.

    Model precision (share of intruders found) per topic and model with 95% intervals, the
    chance level, and Krippendorff's alpha between raters when there are several. The explorer
    page is rebuilt to show them.
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


def _keyword_text(hit: KeywordHit) -> str:
    """`skills -> skill (12)`: a keyword, the corpus terms it became, and its segment hits."""
    terms = " ".join(hit.terms)
    shown = hit.keyword if terms == hit.keyword.lower().replace(" ", "_") else f"{hit.keyword} -> {terms}"
    return f"{shown} ({hit.segments})"


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Config file to write (default: <study name>.yaml in the current folder).")
@click.option("--force", is_flag=True, help="Replace an existing config file.")
def init(folder: Path, out: Path | None, force: bool) -> None:
    """Look at FOLDER (transcripts, or one CSV/JSONL table) and write a config for it.

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
