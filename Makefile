# Two commands for a newcomer: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench screenshots setup system-deps clean i18n

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[local,test,postgres,dev]'
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for the browser tests and PostgreSQL for the store tests' second backend
# (the tests start a throwaway cluster themselves); installed only when we are root and they are missing.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="chromium chromium-driver"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Browser and PostgreSQL tests need Debian's packages: sudo apt-get install $$missing"; fi; \
	fi

run: setup
	$(BIN)/drupe serve --open

# Lint, format and type checks (configured in pyproject.toml); `make test` runs them first, so CI fails on them.
lint: setup
	$(BIN)/ruff check src tests bench i18n
	$(BIN)/ruff format --check src tests bench i18n
	$(BIN)/mypy

test: lint system-deps
	$(BIN)/python -m pytest

bench: setup system-deps
	$(BIN)/python bench/run.py

# Refresh docs/screenshots from the browser tests (a plain `make test` leaves them alone).
screenshots: setup system-deps
	DRUPE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -q

# The words in every language: extract the keys from the code, update each catalog, compile them
# (see docs/languages.md). Run it after changing any text a user reads, then translate the new keys.
i18n: setup
	$(BIN)/python i18n/build.py

clean:
	rm -rf $(VENV) build *.egg-info
