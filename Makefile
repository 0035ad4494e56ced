# Two entry points, each doing all of its own set-up on a machine with only python3 and pip:
#   make demo   creates .venv, installs cai-sql (runtime dependencies only), runs `cai demo`
#   make test   creates .venv, installs cai-sql with its test tools, runs the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.installed-runtime
# The dashboard's end-to-end tests drive Debian's Chromium (no browser is ever downloaded by a test tool).
CHROMIUM ?= /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-slow bench install clean readme

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUNTIME_STAMP)

# What `make demo` needs: cai-sql and its runtime dependencies, with pip's progress shown (a few minutes the first time).
$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing cai-sql and its runtime dependencies into $(VENV)"
	$(BIN)/python -m pip install --progress-bar on -e .
	touch $(RUNTIME_STAMP)

install: $(STAMP)

$(CHROMIUM):
	@echo "Installing Debian's chromium package for the dashboard's browser tests"
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

demo: $(RUNTIME_STAMP)
	$(BIN)/cai demo

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check cai_sql udfs sql tests bench
	$(BIN)/python -m pytest

test-slow: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -m slow

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/bench_generate.py
	$(BIN)/python bench/bench_features.py
	$(BIN)/python bench/bench_scoring.py
	$(BIN)/python bench/bench_reasons.py
	$(BIN)/python bench/bench_clv.py
	$(BIN)/python bench/bench_startup.py

clean:
	rm -rf $(VENV) build dist *.egg-info cai_demo.duckdb cai_demo_data

readme: $(STAMP)
	$(BIN)/python -m tests.readme_examples --update
