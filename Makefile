# The README's two set-up commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast lint browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## demo: install topicbook and run it on the bundled demo interviews
demo: $(VENV)/.installed
	$(BIN)/topicbook run configs/demo.yaml

## browser: Debian's chromium for the explorer's browser tests (root, or sudo)
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

## lint: ruff over the code, tests and benchmarks; mypy over the package
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

## test: the whole suite (ruff, mypy, unit, CLI, real-corpus and browser tests)
test: $(VENV)/.installed-test browser lint
	$(BIN)/python -m pytest -q

## test-fast: the quick subset (no slow or browser tests; under a minute)
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -m "not slow and not browser"

## bench: every benchmark; rewrites docs/benchmarks.md
bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .topicbook-cache
