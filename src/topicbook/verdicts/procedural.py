"""Interview procedure: greetings, consent, thanks, "anything else to add?", scheduling and
recording checks. A topic made of them is labelled `procedural`, not offered as a new theme.

Two signals, both fixed in advance (no labels exist to tune them on):
- lexicon: the share of a topic's top-10 term weight p(w|k) that falls on the built-in
  procedural words of the corpus language (en, de, fr, it, es), after the corpus's own
  preprocessing (so `thanks` meets the lemma `thank`);
- position: the share of the topic's 10 highest-weight segments that are the first or the
  last segment of their interview (openings and closings).
A topic is procedural when lexicon >= LEXICON_SHARE, or lexicon >= LEXICON_WITH_POSITION and
position >= POSITION_SHARE.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

LEXICON_SHARE = 0.3
LEXICON_WITH_POSITION = 0.1
POSITION_SHARE = 0.5
TOP_TERMS = 10
TOP_SEGMENTS = 10

PROCEDURAL_WORDS: dict[str, tuple[str, ...]] = {
    # greetings and goodbyes, thanks, consent and anonymity, recording, closing ("anything to
    # add"), scheduling, call and sound checks. Words that carry content in interviews (time,
    # help, question, video, internet, start, email) are left out on purpose.
    "en": ("hello", "hi", "hey", "welcome", "bye", "goodbye", "thank", "thanks", "thankyou", "cheers", "grateful",
           "appreciate", "pleasure", "luck", "consent", "permission", "anonymous", "anonymised", "anonymized",
           "confidential", "confidentiality", "withdraw", "participate", "participation", "record", "recording",
           "recorder", "transcript", "transcribe", "add", "schedule", "reschedule", "zoom", "skype", "hear",
           "audio", "microphone", "mic", "mute", "unmute", "camera", "sorry"),
    "de": ("hallo", "willkommen", "tschüss", "wiedersehen", "danke", "dank", "bedanken", "dankbar", "gerne",
           "einverständnis", "einverstanden", "einwilligung", "anonym", "anonymisiert", "vertraulich",
           "aufnahme", "aufnehmen", "aufzeichnung", "transkript", "ergänzen", "hinzufügen", "termin", "zoom",
           "hören", "mikrofon", "ton", "kamera", "entschuldigung"),
    "fr": ("bonjour", "bonsoir", "salut", "bienvenue", "revoir", "merci", "remercie", "remercier", "plaisir",
           "enchanté", "consentement", "anonyme", "anonymat", "confidentiel", "enregistrement", "enregistrer",
           "transcription", "ajouter", "rendez-vous", "zoom", "entendre", "entends", "micro", "caméra", "désolé",
           "excusez"),
    "it": ("buongiorno", "buonasera", "ciao", "salve", "benvenuto", "arrivederci", "grazie", "ringrazio",
           "ringraziare", "piacere", "consenso", "anonimo", "anonimato", "riservato", "registrazione",
           "registrare", "trascrizione", "aggiungere", "appuntamento", "zoom", "sentire", "sento", "microfono",
           "telecamera", "scusa", "scusi"),
    "es": ("hola", "bienvenido", "adiós", "gracias", "agradezco", "agradecer", "placer", "encantado",
           "consentimiento", "anónimo", "anonimato", "confidencial", "grabación", "grabar", "transcripción",
           "añadir", "agregar", "cita", "zoom", "oír", "escuchar", "micrófono", "cámara", "perdón", "disculpa"),
}


def procedural_terms(vocab: Sequence[str], transform: Callable[[str], list[str]], language: str) -> np.ndarray:
    """Bool (n_terms,): vocabulary terms that a procedural word of `language` becomes after the
    corpus preprocessing (languages without a list fall back to English)."""
    index = {t: i for i, t in enumerate(vocab)}
    out = np.zeros(len(vocab), dtype=bool)
    for word in PROCEDURAL_WORDS.get(language, PROCEDURAL_WORDS["en"]):
        for term in [*transform(word), word]:
            if term in index:
                out[index[term]] = True
    return out


def procedural_signals(doc_topic: np.ndarray, topic_term: np.ndarray, lexicon: np.ndarray,
                       edge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per topic (n_topics,): the lexicon share of its top-10 term weight and the share of its
    top-10 segments that are first or last in their document (`edge`, bool (n_segments,))."""
    n_topics = topic_term.shape[0]
    lex, pos = np.zeros(n_topics), np.zeros(n_topics)
    for k in range(n_topics):
        top = np.argsort(-topic_term[k], kind="stable")[:TOP_TERMS]
        weight = topic_term[k, top].sum()
        lex[k] = topic_term[k, top][lexicon[top]].sum() / weight if weight > 0 else 0.0
        rows = np.argsort(-doc_topic[:, k], kind="stable")[:TOP_SEGMENTS]
        pos[k] = edge[rows].mean() if rows.size else 0.0
    return lex, pos


def is_procedural(lexicon_share: float, position_share: float) -> bool:
    """The fixed rule of the module docstring."""
    return lexicon_share >= LEXICON_SHARE or (lexicon_share >= LEXICON_WITH_POSITION and position_share >= POSITION_SHARE)


def edge_segments(documents: Sequence[str]) -> np.ndarray:
    """Bool (n_segments,): the first and the last segment of each document, in row order."""
    docs = list(documents)
    out = np.zeros(len(docs), dtype=bool)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, d in enumerate(docs):
        first.setdefault(d, i)
        last[d] = i
    out[list(first.values())] = True
    out[list(last.values())] = True
    return out
