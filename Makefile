# Two commands do all the set-up: `make chat` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat test lint bench telegram discord run clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

chat: $(STAMP)
	$(BIN)/careerbot chat

telegram: $(STAMP)
	$(BIN)/careerbot telegram

discord: $(STAMP)
	$(BIN)/careerbot discord

run: $(STAMP)
	$(BIN)/careerbot run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy dialogs storage bot bench

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
