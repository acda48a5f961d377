"""Preprocessing: languages, fillers, lemmas/stems, phrases, de-identification, the cache."""

import dataclasses

import pytest
import yaml

from conftest import write_planted_corpus
from topicbook import cache as cache_module
from topicbook.config import PreprocessConfig, load_config
from topicbook.deidentify import Deidentifier
from topicbook.errors import ConfigError
from topicbook.pipeline import prepare
from topicbook.preprocess import Preprocessor

# Each sentence: fillers (single and multi-word), stopwords and three content words.
SENTENCES = {
    "en": ("Um, you know, I actually learned the basics of statistics, kind of.", ["learn", "basics", "statistic"]),
    "de": ("Ähm, also ich habe halt eigentlich die Grundlagen der Statistik gelernt, weißt du.", ["grundlage", "statistik", "lernen"]),
    "fr": ("Euh, en fait, j'ai appris les bases de la statistique, tu vois, du coup.", ["apprendre", "base", "statistique"]),
    "it": ("Ehm, cioè, ho imparato le basi della statistica, tipo, voglio dire.", ["imparare", "base", "statistica"]),
    "es": ("Eh, o sea, aprendí las bases de la estadística, en plan, bueno.", ["aprender", "base", "estadística"]),
    "pt": ("Né, tipo, eu aprendi as bases da estatística, ou seja, então.", ["aprender", "base", "estatístico"]),
    "nl": ("Eh, nou, ik heb eigenlijk de basis van de statistiek geleerd, zeg maar.", ["basis", "statistiek", "leren"]),
}


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_stopwords_fillers_and_lemmas_per_language(language):
    text, expected = SENTENCES[language]
    pre = Preprocessor(PreprocessConfig(phrases=False), language=language)
    assert pre.fit_transform([text]) == [expected]
    without_fillers = Preprocessor(PreprocessConfig(phrases=False, filler_words=False), language=language)
    assert len(without_fillers.fit_transform([text])[0]) > len(expected)


def test_stems_extra_stopwords_and_the_step_counts():
    pre = Preprocessor(PreprocessConfig(phrases=False, lemmatize="stem", extra_stopwords=["Statistics"]), language="en")
    assert pre.fit_transform(["Um, I learned statistics and programming, you know."]) == [["learn", "program"]]
    assert pre.report.steps == {"tokenized": 8, "stopwords_removed": 2, "lemmatized": 2, "phrases": 2}


def test_phrases_join_frequent_pairs():
    fillers = ["garden", "music", "kitchen", "harbour", "piano", "recipe", "sail", "compost", "choir", "oven", "anchor"]
    texts = [f"{fillers[i % 11]} online course {fillers[(i + 3) % 11]} job market {fillers[(i + 7) % 11]}" for i in range(60)]
    tokens = Preprocessor(PreprocessConfig(), language="en").fit_transform(texts)
    assert tokens[0] == ["garden", "online_course", "harbour", "job_market", "compost"]


def test_deidentifier_replaces_names_emails_phones_urls_but_not_dates_or_times():
    d = Deidentifier(names=("Maria Rossi", "Dan"))
    text = ("Dan: Hi Maria  Rossi, dan here. Mail me at dan.k@uni-x.edu, call +44 20 7946 0958 or (555) 123-4567,\n"
            "see https://example.org/a?b=1. or www.uni.it. In 1990-2000 on 12.03.2020 at 00:12:03, 42 people, Danube.")
    assert d.apply(text) == (
        "Person 2: Hi [NAME], [NAME] here. Mail me at [EMAIL], call [PHONE] or [PHONE],\n"
        "see [URL]. or [URL]. In 1990-2000 on 12.03.2020 at 00:12:03, 42 people, Danube.")
    assert Deidentifier().apply("Dan: no names listed, a@b.org") == "Dan: no names listed, [EMAIL]"


def _config(tmp_path, **sections):
    """The planted corpus's config without its codebook, with `sections` merged in."""
    path = write_planted_corpus(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["codebook"]
    for name, values in sections.items():
        if isinstance(values, dict):
            data.setdefault(name, {}).update(values)
        else:
            data[name] = values
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_deidentification_reaches_documents_segments_and_questions(tmp_path):
    path = _config(tmp_path, preprocess={"deidentify": True, "deidentify_names": ["Ada", "Ben", "Interviewer"], "min_df": 1},
                   speakers={"interviewer": ["Interviewer"]})
    (tmp_path / "interviews" / "doc01.txt").write_text(
        "Interviewer: Ada, how is your tomato harvest? Write to ada@mail.org\n\nAda: Ben and I grow tomato seedling compost soil harvest in the allotment greenhouse, www.allotment.org\n"
        "Interviewer: Anything else?\nAda: Call me on 0171 1234567, tomato soil compost seedling harvest water weed shovel.\n", encoding="utf-8")
    prepared = prepare(load_config(path))
    doc = next(d for d in prepared.corpus.documents if d.id == "doc01")
    assert "Ada" not in doc.text and "ada@" not in doc.text and "1234567" not in doc.text
    assert doc.text.startswith("Person 3: [NAME], how is your tomato harvest? Write to [EMAIL]\n\nPerson 1: [NAME] and I grow")
    segs = [s for s in prepared.segmentation.segments if s.document == "doc01"]
    assert [s.speaker for s in segs] == ["Person 1", "Person 1"]
    assert segs[0].question == "[NAME], how is your tomato harvest? Write to [EMAIL]"
    assert "[URL]" in segs[0].text and "[PHONE]" in segs[1].text
    for s in prepared.segmentation.segments:
        assert "\n".join(prepared.corpus.documents[[d.id for d in prepared.corpus.documents].index(s.document)].text[a:b] for a, b in s.spans) == s.text
    assert prepared.segmentation.roles.interviewers == {"person3"}


def test_deidentification_covers_metadata_and_warns_about_named_ids(tmp_path):
    from topicbook.deidentify import deidentify_corpus
    from topicbook.ingest import Corpus, Document

    corpus = Corpus((Document("ada_interview", "Interviewer: Hi Ada?\nAda: Hi.", "a.txt", {"interviewer": "Ben", "site": "Leeds"}),),
                    root=tmp_path, files=())
    out = deidentify_corpus(corpus, Deidentifier(names=("Ada", "Ben")))
    assert out.documents[0].metadata == {"interviewer": "[NAME]", "site": "Leeds"}
    assert out.documents[0].text == "Interviewer: Hi [NAME]?\nPerson 1: Hi."
    assert out.warnings == ("document id 'ada_interview' (1 in all) contains a name listed in preprocess.deidentify_names; ids are written to the run folder. Rename the files.",)


def test_deidentify_names_without_deidentify_is_a_config_error(tmp_path):
    cfg = load_config(_config(tmp_path, preprocess={"deidentify_names": ["Ada"]}))
    with pytest.raises(ConfigError) as info:
        prepare(cfg)
    assert str(info.value) == "preprocess.deidentify_names is set but preprocess.deidentify is false. Set deidentify: true, or remove the names."


def test_cache_skips_reading_and_tokenizing_when_only_models_change(tmp_path, monkeypatch):
    from nltk.tokenize import RegexpTokenizer

    calls = {"n": 0}
    original = RegexpTokenizer.tokenize

    def counting(self, text):
        calls["n"] += 1
        return original(self, text)

    monkeypatch.setattr(RegexpTokenizer, "tokenize", counting)
    path = _config(tmp_path)
    first = prepare(load_config(path))
    assert calls["n"] > 0
    assert len(list((tmp_path / ".topicbook-cache").glob("*.npz"))) == 1

    calls["n"] = 0
    path.write_text(path.read_text(encoding="utf-8").replace("n_topics: 4", "n_topics: 5"), encoding="utf-8")
    second = prepare(load_config(path))
    assert calls["n"] == 0
    assert "cache" in second.timer.seconds and "preprocess" not in second.timer.seconds
    assert second.dtm.vocab == first.dtm.vocab and (second.dtm.counts != first.dtm.counts).nnz == 0
    assert [s.text for s in second.segmentation.segments] == [s.text for s in first.segmentation.segments]

    # a preprocessing change or an edited transcript is a new key
    cfg = load_config(path)
    third = prepare(dataclasses.replace(cfg, preprocess=dataclasses.replace(cfg.preprocess, min_df=1)))
    assert calls["n"] > 0 and third.dtm.n_terms >= first.dtm.n_terms
    calls["n"] = 0
    doc = tmp_path / "interviews" / "doc01.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nInterviewer: And?\nAda: More tomato soil compost harvest talk here.\n", encoding="utf-8")
    prepare(load_config(path))
    assert calls["n"] > 0
    assert len(list((tmp_path / ".topicbook-cache").glob("*.npz"))) == 3


def test_a_broken_cache_entry_is_rebuilt_and_the_cache_can_be_off(tmp_path):
    path = _config(tmp_path, cache={"path": "my-cache"})
    cfg = load_config(path)
    prepare(cfg)
    entries = list((tmp_path / "my-cache").glob("*.npz"))
    assert len(entries) == 1
    entries[0].write_bytes(b"not a pickle")
    again = prepare(cfg)
    assert "preprocess" in again.timer.seconds
    assert cache_module.load(tmp_path / "my-cache", entries[0].stem) is not None
    off = dataclasses.replace(cfg, cache=dataclasses.replace(cfg.cache, enabled=False))
    assert cache_module.cache_folder(off) is None


def test_fast_phrase_path_gives_exactly_gensims_phrases():
    from gensim.models.phrases import ENGLISH_CONNECTOR_WORDS, Phrases

    rng = __import__("random").Random(3)
    vocab = ["garden", "music", "kitchen", "harbour", "piano", "recipe", "sail", "compost", "choir", "oven"]
    texts = []
    for _ in range(400):
        words = [rng.choice(vocab) for _ in range(rng.randint(3, 12))]
        for pair in ("online course", "job market", "data science"):
            if rng.random() < 0.3:
                words.insert(rng.randint(0, len(words)), pair)
        texts.append(" ".join(words))
    pre = Preprocessor(PreprocessConfig(lemmatize="none"), language="en")
    fast = pre.fit_transform(texts)
    assert pre._pairs is not None  # the Counter path was taken
    plain = Preprocessor(PreprocessConfig(lemmatize="none", phrases=False), language="en").fit_transform(texts)
    gensim = Phrases(plain, min_count=3, threshold=0.5, scoring="npmi", connector_words=ENGLISH_CONNECTOR_WORDS).freeze()
    assert fast == [gensim[d] for d in plain]
    assert pre.report.n_phrases == len(gensim.phrasegrams) >= 3
    assert any("online_course" in d for d in fast)


def test_the_preprocessor_pickles_and_keeps_working():
    import pickle

    pre = Preprocessor(PreprocessConfig(), language="en")
    pre.fit_transform(["the online course helped"] * 5 + ["a job market"] * 5)
    again = pickle.loads(pickle.dumps(pre))
    assert again.transform("Online course, job market") == pre.transform("Online course, job market")


def test_two_jobs_give_the_same_tokens_counts_and_phrases_as_one():
    texts = [f"Um, the online course helped me on the job market in {city}, you know." for city in ("Paris", "Rome", "Oslo", "Bonn")] * 10
    one = Preprocessor(PreprocessConfig(), language="en")
    two = Preprocessor(PreprocessConfig(), language="en")
    assert one.fit_transform(texts) == two.fit_transform(texts, jobs=2)
    assert one.report.as_dict() == two.report.as_dict()
    assert one.transform("online course") == two.transform("online course") == ["online_course"]


def test_no_listed_name_or_email_reaches_any_file_of_the_run_folder(tmp_path):
    from topicbook.pipeline import run

    path = _config(tmp_path, preprocess={"deidentify": True, "deidentify_names": ["Ada", "Ben", "Cleo"], "min_df": 1},
                   models=[{"type": "nmf", "n_topics": 3}], evaluate={"stability_seeds": 0})
    doc = tmp_path / "interviews" / "doc01.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nInterviewer: Contact?\nAda: Cleo said mail ada.l@example.org, tomato soil compost harvest.\n", encoding="utf-8")
    folder, _ = run(load_config(path), out_dir=tmp_path / "runs")
    written = {p.name: p.read_bytes().decode("utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()}
    assert "segments.csv" in written and "explorer.html" in written
    for name, text in written.items():
        for secret in ("Ada", "Cleo", "ada.l@example.org"):
            assert secret not in text, (name, secret)
    assert "[EMAIL]" in written["segments.csv"] and "Person 1" in written["segments.csv"]
