"""Shared fixtures: a tiny interview corpus with planted themes, and the real corpora."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPORA = REPO.parent / "shared" / "corpora"

# Four planted themes with disjoint vocabularies. The codebook has codes for gardening, music
# and cooking, and one for astronomy that no document talks about; sailing has no code.
THEMES = {
    "gardening": ["tomato", "soil", "compost", "seedling", "harvest", "water", "greenhouse", "weed", "allotment", "shovel"],
    "music": ["guitar", "chord", "melody", "concert", "drummer", "rhythm", "rehearsal", "choir", "piano", "lyric"],
    "cooking": ["recipe", "oven", "flour", "dough", "spice", "simmer", "kitchen", "bakery", "saucepan", "pastry"],
    "sailing": ["boat", "wind", "sail", "harbour", "anchor", "wave", "mast", "rudder", "keel", "dinghy"],
}
FILLER = ["um", "you know", "I mean", "really", "and", "the", "we", "it", "was", "so"]
QUESTIONS = ["What did you do last spring?", "Can you say more about that?", "How did that feel?",
             "What happened next?", "And what about weekends?", "Why was that important to you?"]

PLANTED_CODEBOOK = """\
name: Planted hobbies
codes:
  - id: gardening
    name: Gardening
    definition: Growing vegetables in a garden or allotment.
    keywords: [tomato, soil, compost, seedling, harvest]
  - id: music
    name: Making music
    definition: Playing instruments or singing with others.
    keywords: [guitar, chord, melody, concert, rhythm]
  - id: cooking
    name: Cooking and baking
    definition: Preparing food at home.
    keywords: [recipe, oven, flour, dough, pastry]
  - id: astronomy
    name: Astronomy
    definition: Watching the night sky with a telescope.
    keywords: [telescope, planet, orbit, galaxy, nebula]
"""


# Verdict fixtures (tests/test_verdicts.py, tests/test_run_verdicts.py): a group (hobbies) of two
# planted themes, a code spread over two themes (outdoors: gardening and sailing words) and a
# decoy the interviews never name (astronomy); everyday words for every turn, since the presence
# null draws random vocabulary terms; opening and closing pleasantries.
VERDICT_CODEBOOK = """\
name: Planted verdicts
codes:
  - id: hobbies
    name: Hobbies
    definition: A group of hobby codes.
  - id: gardening
    name: Gardening
    parent: hobbies
    keywords: [tomato, soil, compost, seedling, harvest]
  - id: music
    name: Making music
    parent: hobbies
    keywords: [guitar, chord, melody, concert, rhythm]
  - id: outdoors
    name: Outdoors
    keywords: [tomato, soil, compost, boat, sail, harbour]
  - id: astronomy
    name: Astronomy
    keywords: [telescope, planet, orbit, galaxy, nebula]
"""

# Everyday words besides the themes, so that the vocabulary is not made of theme words only
# (on a real corpus most terms belong to no code).
BACKGROUND = ["window", "street", "paper", "table", "chair", "bottle", "letter", "river", "bridge", "market", "corner", "coat", "shoe", "lamp", "clock", "pencil", "mirror", "ladder", "basket", "blanket", "bucket", "carpet", "curtain", "fence", "gate", "hammer", "jacket", "kettle", "ribbon", "saddle", "scarf", "tunnel", "umbrella", "wallet", "whistle", "button", "candle", "cushion", "drawer", "envelope", "feather", "glove", "helmet", "jar", "kite", "lantern", "magnet", "needle", "pillow", "pocket", "rope", "sponge", "stamp", "thread", "tray", "vase", "wire", "zipper", "apron", "badge", "barrel", "bench", "brick", "cable", "canvas", "chalk", "clip", "compass", "crate", "dice", "doorbell", "easel", "funnel", "gravel", "hinge", "hook", "ink", "jug", "knot", "lever", "lid", "marble", "mat", "mop", "napkin", "nail", "notebook", "oar", "padlock", "pan", "pebble", "pipe", "plank", "plate", "pole", "puzzle", "quilt", "rack", "rake", "razor", "ring", "rod", "rug", "sack", "screw", "shelf", "shovel_handle", "sieve", "sling", "spool", "spring", "stool", "strap", "string", "tack", "tape", "tile", "torch", "towel", "trunk", "tube", "twig", "valve", "wagon"]

GREETINGS = ["Hello, thank you, thanks for having me, happy to be recorded, consent given, hello again.",
             "Thank you, goodbye, it was a pleasure, thanks again and bye, thank you so much, goodbye."]


def planted_turn(rng: random.Random, theme: str, n_words: int = 40) -> str:
    words = []
    for _ in range(n_words):
        words.append(rng.choice(THEMES[theme]) if rng.random() < 0.55 else rng.choice(FILLER))
    return " ".join(words).capitalize() + "."


def write_planted_corpus(root: Path, n_docs: int = 8, turns_per_doc: int = 8, seed: int = 0) -> Path:
    """Write interviews (Interviewer/Name turns), metadata, codebook and a config; returns the config path."""
    rng = random.Random(seed)
    corpus = root / "interviews"
    corpus.mkdir(parents=True, exist_ok=True)
    themes = list(THEMES)
    names = ["Ada", "Ben", "Cleo", "Dev", "Eva", "Finn", "Gus", "Hana", "Ivo", "Jo"]
    meta = ["document,country,education"]
    for d in range(n_docs):
        name = names[d % len(names)]
        lines = []
        for t in range(turns_per_doc):
            theme = themes[(d + t) % len(themes)]
            lines.append(f"Interviewer: {rng.choice(QUESTIONS)}")
            lines.append(f"{name}: {planted_turn(rng, theme)}")
        (corpus / f"doc{d + 1:02d}.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
        meta.append(f"doc{d + 1:02d},{['FR', 'DE'][d % 2]},{['bachelor', 'master'][d % 2]}")
    (root / "metadata.csv").write_text("\n".join(meta) + "\n", encoding="utf-8")
    (root / "codebook.yaml").write_text(PLANTED_CODEBOOK, encoding="utf-8")
    config = root / "config.yaml"
    config.write_text(
        """\
name: planted
seed: 7
corpus:
  path: interviews
  metadata: metadata.csv
segment:
  min_tokens: 5
preprocess:
  min_df: 2
  max_df: 0.6
  phrases: false
models:
  - type: lda
    n_topics: 4
    passes: 20
  - type: nmf
    n_topics: 4
codebook:
  path: codebook.yaml
report:
  quotes_per_topic: 3
""",
        encoding="utf-8",
    )
    return config


MANY_CODES_GROUP = 50  # codes per group in write_many_codes' hierarchy
_INVENTED = ["zorb", "quill", "vantro", "melk", "pidge", "strom", "wulf", "yarrow", "tesk", "brindle"]


def write_many_codes(path: Path, n_codes: int, seed: int = 0) -> Path:
    """A YAML codebook of `n_codes` generated codes for the planted corpus (scale fixtures).

    Deterministic (random.Random(seed)). One group per MANY_CODES_GROUP codes (the group counts
    towards `n_codes`); every leaf has a unique name, a definition of a few planted theme words,
    2-4 keywords from one theme's vocabulary (sailing and astronomy included, so some codes have
    no topic) and, for every third leaf, an invented keyword missing from the vocabulary, an
    example sentence and an `exclude` term from another theme.
    """
    rng = random.Random(seed)
    themes = [*THEMES, "astronomy"]
    vocab = {**THEMES, "astronomy": ["telescope", "planet", "orbit", "galaxy", "nebula"]}
    lines = [f"name: Generated codebook of {n_codes} codes", "codes:"]
    group = None
    for i in range(n_codes):
        if i % MANY_CODES_GROUP == 0:
            group = f"g{i // MANY_CODES_GROUP:04d}"
            lines += [f"  - id: {group}", f"    name: Group {i // MANY_CODES_GROUP} of {themes[(i // MANY_CODES_GROUP) % len(themes)]}"]
            continue
        theme = themes[rng.randrange(len(themes))]
        words = vocab[theme]
        keywords = rng.sample(words, rng.randint(2, 4))
        definition = " ".join(rng.choice(words) if rng.random() < 0.5 else rng.choice(FILLER) for _ in range(8))
        lines += [f"  - id: c{i:05d}", f"    name: {theme.capitalize()} {keywords[0]} {i}",
                  f"    definition: The speaker talks about {definition}.", f"    parent: {group}"]
        if i % 3 == 0:
            keywords.append(rng.choice(_INVENTED))
            other = vocab[themes[(themes.index(theme) + 1) % len(themes)]]
            lines += [f"    examples: [\"We always {' and '.join(rng.sample(words, 2))} together\"]",
                      f"    exclude: [{rng.choice(other)}]"]
        lines.append(f"    keywords: [{', '.join(keywords)}]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# under the planted config's last section (report:): SVG figures too (PNG only by default)
SVG_TOO = "  figure_formats: [png, svg]\n"


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """Config path of a fresh planted-theme corpus in tmp_path."""
    return write_planted_corpus(tmp_path / "project")


def shared_corpus(*parts: str) -> Path:
    """A path in ../shared/corpora; in CI a missing corpus fails loudly instead of skipping."""
    path = SHARED_CORPORA.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"real corpus missing in CI: {path}")
        pytest.skip(f"real corpus not available: {path}")
    return path


# --------------------------------------------------------------------------- the browser tests
# One chromium for every module under tests/browser/ (Playwright's sync API allows one instance
# per thread, so the fixture lives here rather than in a test module).

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - CI has it
        pytest.fail(f"playwright is not installed ({exc}); run `make test` (pip install -e '.[test]').")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; run `make browser` (apt-get install chromium).")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """An explorer page opened from file:// that records console errors, page errors,
    dialogs and every request; any request that is not the page itself is aborted."""

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 900) -> None:
        self.url = path.resolve().as_uri()
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready='1']")

    def _dialog(self, dialog) -> None:  # type: ignore[no-untyped-def]
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.split("#")[0] == self.url:
            route.continue_()
        else:
            route.abort()

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if u.split("#")[0] != self.url]

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def open_page(browser):
    pages: list[Page] = []

    def opener(path: Path, **kwargs) -> Page:  # type: ignore[no-untyped-def]
        p = Page(browser, path, **kwargs)
        pages.append(p)
        return p

    yield opener
    for p in pages:
        p.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/browser/ is a `browser` test (markers registered in pyproject)."""
    browser = Path(__file__).parent / "browser"
    for item in items:
        if browser in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# A weak codebook: each code names two of its theme's ten words, so the label-free score misses
# the turns that use the others; astronomy is never talked about.
WEAK_CODEBOOK = """\
name: Planted hobbies, weak codebook
codes:
  - id: gardening
    name: Gardening
    definition: Growing tomatoes in the soil.
    keywords: [tomato, soil]
  - id: music
    name: Making music
    definition: Playing the guitar.
    keywords: [guitar, chord]
  - id: cooking
    name: Cooking
    definition: Following a recipe.
    keywords: [recipe, oven]
  - id: astronomy
    name: Astronomy
    definition: Watching the night sky with a telescope.
    keywords: [telescope, planet]
"""
