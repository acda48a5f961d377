"""methods.md: a methods paragraph for a paper, written from one run's own figures.

Every number in it is read from the run's typed results (the same values as its JSON files:
preprocess_report.json, evaluation.json, verdicts.json, agreement.json, intrusion.json,
manifest.json), and only what the run did is claimed. It cites the papers behind each step and
lists them in full at the end. A researcher pastes it and edits it.

The file is written after manifest.json and quotes the SHA-256 of manifest.json's bytes; the
manifest lists methods.md among the run's outputs (it records no hash of any output).
`topicbook intrusion-score` writes it again with the intrusion figures (the manifest, and so its
hash, does not change).

The codebook comparison is described by :func:`codebook_rule_text`, the one place to change
when the comparison rule changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from topicbook.agreement import RunAgreement
from topicbook.align import Alignment
from topicbook.config import LdaConfig, ModelConfig, NmfConfig, RunConfig
from topicbook.evaluate import ModelEvaluation
from topicbook.files import replacing, sha256_file
from topicbook.intrusion import IntrusionFigure, IntrusionScores
from topicbook.metrics import MethodAgreement
from topicbook.preprocess import PreprocessReport
from topicbook.report.manifest import Manifest
from topicbook.report.run_folder import MANIFEST, METHODS, RunFolder
from topicbook.verdicts import VerdictTable

REFERENCES = {
    "blei2003": "Blei, D. M., Ng, A. Y., & Jordan, M. I. (2003). Latent Dirichlet allocation. *Journal of Machine Learning Research*, 3, 993–1022.",
    "carlsen2022": "Carlsen, H. B., & Ralund, S. (2022). Computational grounded theory revisited: From computer-led to computer-assisted text analysis. *Big Data & Society*, 9(1). https://doi.org/10.1177/20539517221080146",
    "chang2009": "Chang, J., Boyd-Graber, J., Gerrish, S., Wang, C., & Blei, D. M. (2009). Reading tea leaves: How humans interpret topic models. In *Advances in Neural Information Processing Systems 22* (pp. 288–296).",
    "efron1993": "Efron, B., & Tibshirani, R. J. (1993). *An introduction to the bootstrap*. Chapman & Hall.",
    "greene2014": "Greene, D., O'Callaghan, D., & Cunningham, P. (2014). How many topics? Stability analysis for topic models. In *Machine Learning and Knowledge Discovery in Databases (ECML PKDD 2014)* (pp. 498–513). Springer.",
    "krippendorff2018": "Krippendorff, K. (2018). *Content analysis: An introduction to its methodology* (4th ed.). SAGE.",
    "lee1999": "Lee, D. D., & Seung, H. S. (1999). Learning the parts of objects by non-negative matrix factorization. *Nature*, 401, 788–791.",
    "maier2018": "Maier, D., Waldherr, A., Miltner, P., Wiedemann, G., Niekler, A., Keinert, A., et al. (2018). Applying LDA topic modeling in communication research: Toward a valid and reliable methodology. *Communication Methods and Measures*, 12(2–3), 93–118. https://doi.org/10.1080/19312458.2018.1430754",
    "roder2015": "Röder, M., Both, A., & Hinneburg, A. (2015). Exploring the space of topic coherence measures. In *Proceedings of the Eighth ACM International Conference on Web Search and Data Mining* (pp. 399–408).",
    "ying2022": "Ying, L., Montgomery, J. M., & Stewart, B. M. (2022). Topics, concepts, and measurement: A crowdsourced procedure for validating topics as measures. *Political Analysis*, 30(4), 570–589. https://doi.org/10.1017/pan.2021.33",
}

STEP_WORDS = {"tokenized": "after tokenisation", "stopwords_removed": "after removing stopwords and fillers",
              "lemmatized": "after lemmatisation", "stemmed": "after stemming", "phrases": "after joining phrases",
              "pruned": "after pruning rare and frequent terms"}
VERSION_PACKAGES = ("gensim", "scikit-learn", "nltk", "simplemma", "numpy", "scipy", "pandas")


@dataclass(frozen=True)
class MethodsFacts:
    """What the paragraph is written from (a finished run in memory, or a run folder read back)."""

    run_name: str
    cfg: RunConfig
    report: PreprocessReport
    models: Sequence[ModelConfig]
    evaluation: Mapping[str, ModelEvaluation]
    seeded: Mapping[str, int]  # model name -> number of seeded topics (guided models)
    alignments: Mapping[str, Alignment]
    verdicts: VerdictTable | None
    agreement: RunAgreement | None
    intrusion: IntrusionScores | None
    manifest: Manifest
    manifest_sha256: str


def f3(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def with_interval(value: float | None, low: float | None, high: float | None) -> str:
    """`0.850 (95% CI 0.801–0.893)`, or the value alone when there is no interval."""
    if value is None:
        return "–"
    return f3(value) if low is None or high is None else f"{f3(value)} (95% CI {f3(low)}–{f3(high)})"


def figure(fig: MethodAgreement, name: str) -> str:
    return with_interval(getattr(fig, name), *fig.interval(name))


def _count(n: int) -> str:
    return f"{n:,}"


def _n(n: int, noun: str) -> str:
    """`1 topic`, `3 topics`."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def corpus_text(facts: MethodsFacts) -> str:
    cfg, rep = facts.cfg, facts.report
    if cfg.corpus.path.suffix.lower() in (".csv", ".tsv", ".jsonl"):
        return (f"The corpus was a table of {_count(rep.documents)} texts ({cfg.corpus.path.name}); each text was one "
                f"segment, and {_count(rep.segments_modelled)} of the {_count(rep.segments)} segments had words left "
                f"after preprocessing.")
    who = ", ".join(rep.interviewers) or "none"
    unit = {"turn": "speaker turns", "paragraph": "paragraphs",
            "window": f"windows of about {cfg.segment.window} words (overlap {cfg.segment.overlap})"}[cfg.segment.unit]
    kept = "the respondents' turns were kept" if cfg.speakers.keep == "respondent" else "every speaker's turns were kept"
    merge = (f"; pieces shorter than {cfg.segment.min_tokens} tokens were merged with the same speaker's next one"
             if cfg.segment.min_tokens and cfg.segment.unit != "window" else "")
    return (f"The corpus comprised {_count(rep.documents)} interview transcripts ({_count(rep.documents_with_speaker_labels)} "
            f"with speaker labels). Turns were identified from the speaker labels; the interviewer ({who}; "
            f"{rep.interviewer_method}) was set apart and {kept}. The analysis units were {unit}{merge}, giving "
            f"{_count(rep.segments)} segments, {_count(rep.segments_modelled)} of which had words left after preprocessing.")


def preprocessing_text(facts: MethodsFacts) -> str:
    pre, rep, lang = facts.cfg.preprocess, facts.report, facts.cfg.corpus.language
    steps = ["Texts were lowercased and split into words (runs of letters) with NLTK's RegexpTokenizer"]
    if pre.stopwords:
        extra = f" and {len(pre.extra_stopwords)} words added by the researcher" if pre.extra_stopwords else ""
        fillers = ", spoken fillers" if pre.filler_words else ""
        steps.append(f"stopwords (the stopwords-iso list for '{lang}'{fillers}{extra}) were removed")
    if pre.lemmatize == "lemma":
        steps.append("words were lemmatised with simplemma")
    elif pre.lemmatize == "stem":
        steps.append("words were stemmed with NLTK's Snowball stemmer")
    if pre.phrases:
        steps.append(f"frequent word pairs were joined into phrases with gensim's Phrases (NPMI threshold {pre.phrase_threshold})"
                     + (", as were the codebook's multi-word keywords" if facts.cfg.codebook.path else ""))
    min_df = f"fewer than {pre.min_df} segments" if isinstance(pre.min_df, int) else f"less than {pre.min_df:.0%} of the segments"
    steps.append(f"terms in {min_df} or in more than {pre.max_df:.0%} of the segments were removed"
                 + (f", keeping at most {_count(pre.max_vocab)} terms" if pre.max_vocab else ""))
    counts = "; ".join(f"{_count(n)} {STEP_WORDS.get(k, 'after ' + k.replace('_', ' '))}"
                       for k, n in rep.tokens_after_step.items())
    return "; ".join(steps) + f". Token counts: {counts}. The vocabulary had {_count(rep.vocabulary_size)} terms."


def model_text(m: ModelConfig, facts: MethodsFacts) -> str:
    name = m.label
    k = facts.evaluation[name].n_topics if name in facts.evaluation else m.n_topics
    if isinstance(m, LdaConfig):
        engine = ("tomotopy's collapsed Gibbs sampler" if m.engine == "tomotopy"
                  else "gensim's LdaMulticore (online variational Bayes)" if m.multicore
                  else "gensim's LdaModel (online variational Bayes)")
        what = f"LDA (Blei et al., 2003) fitted with {engine}, {m.passes} passes, alpha {m.alpha}"
    else:
        assert isinstance(m, NmfConfig)
        what = (f"NMF (Lee & Seung, 1999) fitted with scikit-learn on {'sublinear tf-idf weights' if m.input == 'tfidf' else 'word counts'}, "
                f"initialised by {m.init}, {m.beta_loss} loss")
    if m.guided:
        seeded = facts.seeded.get(name, 0)
        return (f"`{name}`: a guided {what}, with one topic seeded from each of {seeded} codes' keywords (seed strength "
                f"{m.seed_strength:g}) and {m.extra_topics} free topics, K = {k}")
    return f"`{name}`: {what}, K = {k}"


def models_text(facts: MethodsFacts) -> str:
    parts = "; ".join(model_text(m, facts) for m in facts.models)
    return (f"Models: {parts}. The numbers of topics were set by the researcher in the run's configuration; no sweep "
            f"over K is recorded with this run (`topicbook sweep` compares K by coherence, diversity and stability, "
            f"which Maier et al., 2018, recommend reading together with the topics themselves).")


def seeds_text(facts: MethodsFacts) -> str:
    cfg = facts.cfg
    n = cfg.evaluate.stability_seeds
    text = f"Every random step used the seed {cfg.seed}."
    if any(isinstance(m, LdaConfig) and m.multicore for m in facts.models):
        text += " LdaMulticore does not reproduce its topics from the seed."
    stable = {name: ev.stability.mean for name, ev in facts.evaluation.items() if ev.stability is not None}
    if n and stable:
        values = ", ".join(f"{f3(v)} (`{name}`)" for name, v in stable.items())
        text += (f" Stability: each model was fitted again with {n} further seeds, each time on a random 90% of the "
                 f"segments, and its topics were paired one-to-one with those of the first fit by the cosine of their "
                 f"term distributions (Greene et al., 2014); the mean cosine of paired topics was {values}.")
    else:
        text += " Stability across seeds was not measured (evaluate.stability_seeds: 0)."
    coh = []
    for name, ev in facts.evaluation.items():
        measures = ", ".join(f"{k} {f3(v.mean)}" for k, v in ev.coherence.items())
        coh.append(f"`{name}` {measures}, diversity {f3(ev.diversity)}")
    if coh:
        text += (f" Coherence (gensim; Röder et al., 2015) and topic diversity (the share of unique words among the "
                 f"topics' top 25): {'; '.join(coh)}. Coherence does not show that people can read the topics (Chang et "
                 f"al., 2009).")
    return text


def codebook_rule_text(settings: Mapping[str, Any]) -> str:
    """How topics are compared with codes (the verdicts' rule, `settings` as verdicts.json
    records them): the one paragraph to change with the rule. A rule switched off (None, or
    missing in a run written before it existed) is left out."""
    p, st = settings["presence"], settings["structure"]
    presence_rule = (f"A code was present when its evidence segments were at least {p['min_support']} and came "
                     f"from at least {p['min_documents']} documents, and ")
    if p.get("relative_coverage") is not None:
        presence_rule += (f"for a code text of {p['long_code_words']} or more words, when they outnumbered those "
                          f"of {p['present_quantile']:.0%} of its pseudo-codes and the idf-weighted share of its "
                          f"words that the corpus uses was at least {p['relative_coverage']:g} times the "
                          "codebook's median; for a shorter code, when they outnumbered those pseudo-codes"
                          + (f" or at least {p['full_coverage']:.0%} of its words occurred in the corpus; "
                             if p.get("full_coverage") is not None else "; "))
    else:
        presence_rule += f"when they outnumbered those of {p['present_quantile']:.0%} of its pseudo-codes; "
    if st.get("match_fdr") is not None:
        match_rule = ("evidence score beat its correlations with pseudo-code scores at a false discovery rate of "
                      f"{st['match_fdr']:.0%} over the model's topic-code pairs (Benjamini-Hochberg)")
        if st.get("quote_fdr") is not None:
            match_rule += (f", and its {st['top_quotes']} highest-weight segments held the code's evidence segments "
                           "more often than their share of all segments (binomial test, false discovery rate "
                           f"{st['quote_fdr']:.0%})")
    else:
        match_rule = (f"evidence score exceeded the {st['match_quantile']:g} quantile of its correlations with "
                      "pseudo-code scores")
    return ("The comparison with the codebook answered two questions separately. Presence (does the data talk about "
            "a code at all?) was decided from the segments, independently of any model: a segment was evidence for a "
            "code when the cosine between its TF-IDF vector and the code's text (name, definition, keywords and "
            "examples, with terms weighted by their distinctiveness across codes) exceeded the "
            f"{p['quantile']:g} quantile of the cosines that {p['n_pseudo']} pseudo-codes reached in the same corpus; "
            "a pseudo-code carries the code's term weights on words drawn at random from the corpus vocabulary. "
            + presence_rule
            + "absent when they were no more than the median pseudo-code's (or none of its words occurred); uncertain "
            "otherwise. A parent code was present through any of its subcodes. Structure (how does each model carry a "
            "code?): a topic carried a code when the correlation, over segments, of the topic's weight with the code's "
            f"{match_rule}. Each code then got one status per model: split (two or more carrying topics within "
            f"{st['split_ratio']:g} of the best), own topic (one topic, which the code leads), merged (a topic shared "
            "with other codes), present without a topic, or absent; a match holding in fewer than "
            f"{st['min_stable']:.0%} of the stability re-fits was marked unstable. A topic carrying no code was "
            "procedural when it was made of interview routine (greetings, thanks, consent, recording; a built-in "
            "word list and the first and last turns of the interviews); otherwise explained when some code's "
            "evidence segments were among its top segments more often than that code's pseudo-codes reach, and "
            "emergent when no code's evidence explained it. These settings were chosen on "
            "one corpus (a development half of the NHS patient comments) and then fixed; none was tuned on this "
            "study's data.")


def codebook_text(facts: MethodsFacts) -> str | None:
    table = facts.verdicts
    if table is None:
        return None
    counts = table.counts()
    presence = (f"Of the {len(table.presence)} codes, {counts['present']} were present, {counts['uncertain']} "
                f"uncertain and {counts['absent']} absent.")
    results = []
    for model in table.models:
        s, t = table.status_counts(model.model), table.topic_counts(model.model)
        unstable = table.unstable(model.model)
        results.append(f"`{model.model}` {s['own_topic']} own topic, {s['split']} split, {s['merged']} merged, "
                       f"{s['present_without_topic']} present without topic, {s['absent']} absent"
                       + (f" ({unstable} unstable)" if unstable else "")
                       + f", with {_n(t['emergent'], 'emergent topic')}, {_n(t['explained'], 'explained topic')} "
                       f"and {_n(t['procedural'], 'procedural topic')}")
    return f"{codebook_rule_text(table.settings)} {presence} Statuses per model: {'; '.join(results)}."


def agreement_table(figures: Mapping[str, MethodAgreement]) -> list[str]:
    rows = ["| method | codes | macro ROC AUC | length alone | macro F1 | Cohen's kappa | Krippendorff's alpha |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, fig in figures.items():
        rows.append(f"| `{name}` | {fig.n_codes} | {figure(fig, 'macro_roc_auc')} | {figure(fig, 'length_floor_auc')} | "
                    f"{figure(fig, 'macro_f1')} | {figure(fig, 'kappa')} | {figure(fig, 'macro_krippendorff_alpha')} |")
    return rows


def _best(figures: Mapping[str, MethodAgreement]) -> tuple[str, MethodAgreement]:
    return max(figures.items(), key=lambda kv: kv[1].macro_roc_auc if kv[1].macro_roc_auc is not None else -1.0)


def agreement_text(facts: MethodsFacts) -> list[str]:
    run = facts.agreement
    if run is None or not run.figures or run.codings is None:
        return ["No human coding was given, so the comparison with the codebook was not checked against human "
                "judgement. `topicbook sample` draws a random sample of segments to code by hand for that "
                "(Carlsen & Ralund, 2022)."]
    codings, cfg = run.codings, facts.cfg
    first = next(iter(run.figures.values()))
    n_docs = len(run.holdout_documents) if run.holdout_documents else len(codings.documents)
    design = (f"thresholds set at each code's prevalence in the other coded documents, figures on {n_docs} held-out documents"
              if run.holdout_documents else "thresholds set at each code's prevalence in the coded segments")
    name, best = _best(run.figures)
    text = (f"Human codings ({codings.source}: {_count(codings.n_codings)} codings, {_count(codings.n_codings - len(codings.unmatched))} "
            f"placed on segments) of {len(codings.documents)} documents were compared with each scoring method's segment × "
            f"code scores, only in the coded documents (a segment of an uncoded document is unknown, not negative): "
            f"{_count(first.n_segments)} segments, {first.n_codes} codes with at least {cfg.codings.min_positives} coded "
            f"segments, {design}. The best method, `{name}`, reached a macro ROC AUC of {figure(best, 'macro_roc_auc')}, "
            f"against {figure(best, 'length_floor_auc')} for segment length alone; Krippendorff's alpha of the method as a "
            f"second coder (nominal; Krippendorff, 2018) was {figure(best, 'macro_krippendorff_alpha')} and Cohen's kappa "
            f"{figure(best, 'kappa')}.")
    if run.resamples:
        text += (f" Intervals are 95% percentile bootstrap intervals over {run.resamples} resamples of the documents "
                 f"(Efron & Tibshirani, 1993), with the thresholds fixed.")
    learned = run.learned
    if learned is not None:
        unit = "document" if run.group_column is None else f"`{run.group_column}`"
        text += (f" The method `learned` blends the label-free `{run.prior}` score with a logistic regression per code "
                 f"trained on the coded segments (weight n / (n + {learned.kappa:g}) for a code shown in n coded "
                 f"documents); " + (f"its figures come from a {len(learned.folds)}-fold cross-validation grouped by "
                 f"{unit}, so that every coded segment was scored by a model trained without its {unit}"
                 if learned.folds else "with a single coded document there was no cross-validation, so it has no figures")
                 + f". {_n(len(learned.learned_codes), 'code').capitalize()} {'was' if len(learned.learned_codes) == 1 else 'were'} learned and {len(learned.fallback_codes)} kept the "
                 f"label-free score (agreement.json `learned_fit` gives each code's reason).")
    out = [text, "", *agreement_table(run.figures)]
    sample = run.sample
    if sample is not None:
        s_name, s_best = _best(sample.figures)
        how = f"stratified by {sample.sample.stratify}" if sample.sample.stratify else "a simple random sample"
        kind = ("a random sample drawn with topicbook, which estimates agreement without the bias of segments chosen "
                "for coding (Carlsen & Ralund, 2022)" if sample.sample.is_random else "a sample chosen by topicbook (not at random)")
        out += ["", f"On {sample.n_segments} segments of {sample.n_documents} documents coded in full ({kind}; {how}, "
                    f"seed {sample.sample.seed}), `{s_name}` reached a macro ROC AUC of {figure(s_best, 'macro_roc_auc')} "
                    f"and a Krippendorff's alpha of {figure(s_best, 'macro_krippendorff_alpha')}:", "",
                *agreement_table(sample.figures)]
    return out


def _intrusion_figure(fig: IntrusionFigure) -> str:
    """`0.650 (95% CI 0.500–0.800; chance 0.167; 20 answers)`."""
    ci = f"95% CI {f3(fig.ci_low)}–{f3(fig.ci_high)}; " if fig.ci_low is not None and fig.ci_high is not None else ""
    return f"{f3(fig.precision)} ({ci}chance {f3(fig.chance)}; {fig.answers} answers)"


def intrusion_text(facts: MethodsFacts) -> str:
    scores = facts.intrusion
    if scores is None:
        return ("The topics were not rated by people in this run; `topicbook intrusion` writes word- and "
                "topic-intrusion tasks for raters (Chang et al., 2009; see Ying, Montgomery & Stewart, 2022).")
    parts = []
    for name, kinds in scores.models.items():
        shown = ", ".join(f"{'word' if kind == 'word' else 'topic'} intrusion {_intrusion_figure(fig)}"
                          for kind, fig in kinds.items())
        parts.append(f"`{name}` {shown}")
    text = (f"{len(scores.raters)} rater(s) did word- and topic-intrusion tasks (Chang et al., 2009; see Ying, "
            f"Montgomery & Stewart, 2022): pick the word that does not belong among a topic's five most probable words, "
            f"or the topic that does not fit a quote among its three most probable topics. Model precision (the share of "
            f"intruders found): {'; '.join(parts)}.")
    alpha = scores.agreement.get("all")
    if alpha is not None and alpha.krippendorff_alpha is not None:
        text += f" Agreement between raters: Krippendorff's alpha {f3(alpha.krippendorff_alpha)} over {alpha.units} tasks."
    return text


def software_text(facts: MethodsFacts) -> str:
    v = facts.manifest.versions
    packages = ", ".join(f"{p} {v[p]}" for p in VERSION_PACKAGES if p in v)
    return (f"The analysis used topicbook {facts.manifest.topicbook} (Python {v.get('python', '?')}; {packages}). "
            f"The run's manifest.json (SHA-256 {facts.manifest_sha256}) records the configuration, the seed, the "
            f"package versions and the SHA-256 of every input file.")


def cited(text: str) -> list[str]:
    """The references a text cites, in alphabetical order."""
    keys = {"Blei et al., 2003": "blei2003", "Carlsen & Ralund, 2022": "carlsen2022", "Chang et al., 2009": "chang2009",
            "Efron & Tibshirani, 1993": "efron1993", "Greene et al., 2014": "greene2014",
            "Krippendorff, 2018": "krippendorff2018", "Lee & Seung, 1999": "lee1999", "Maier et al., 2018": "maier2018",
            "Röder et al., 2015": "roder2015", "Ying, Montgomery & Stewart, 2022": "ying2022"}
    found = sorted({key for needle, key in keys.items() if needle in text})
    return [REFERENCES[k] for k in found]


def methods_markdown(facts: MethodsFacts) -> str:
    """methods.md for a run."""
    sections = [("Corpus and segments", [corpus_text(facts)]), ("Preprocessing", [preprocessing_text(facts)]),
                ("Topic models", [models_text(facts)]), ("Seeds, stability and coherence", [seeds_text(facts)])]
    book = codebook_text(facts)
    if book is not None:
        sections.append(("Comparison with the codebook", [book]))
        sections.append(("Agreement with human coding", agreement_text(facts)))
    sections.append(("Human validation of the topics", [intrusion_text(facts)]))
    sections.append(("Software", [software_text(facts)]))
    body = [f"# Methods (topicbook run {facts.run_name})", "",
            "A draft to paste and edit: every figure comes from this run's files; check each sentence against your study.",
            ""]
    for title, paragraphs in sections:
        body += [f"## {title}", "", *paragraphs, ""]
    body += ["## References", ""]
    body += [f"- {ref}" for ref in cited("\n".join(body))]
    return "\n".join(body) + "\n"


def facts_of_run(run: RunFolder) -> MethodsFacts:
    """The facts of a run folder read back (for `topicbook intrusion-score`)."""
    manifest = run.manifest
    return MethodsFacts(run.name, run.config, run.preprocess_report, run.config.models, run.evaluation,
                        {name: len(m.seeded_topics) for name, m in manifest.models.items()}, run.alignments,
                        run.verdicts, run.agreement, run.intrusion, manifest, sha256_file(run.path / MANIFEST))


def rewrite_methods(run: RunFolder) -> None:
    """Write methods.md of a run folder again from its files (atomically)."""
    target = run.path / METHODS
    text = methods_markdown(facts_of_run(run))
    with replacing([target], root=run.path, what="the run folder") as (tmp,):  # inside the folder, no .partial left
        tmp.write_text(text, encoding="utf-8")
