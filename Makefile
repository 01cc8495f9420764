# Two set-up commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := sample_workbooks/annual_plan_2022_23.xlsx
OUT ?= out

.PHONY: demo test lint samples clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $@

demo: $(STAMP)
	$(BIN)/planbook outline $(SAMPLE)
	mkdir -p $(OUT)
	$(BIN)/planbook export $(SAMPLE) -o $(OUT)/annual_plan_2022_23.csv
	@echo "Flat export, one row per milestone: $(OUT)/annual_plan_2022_23.csv"

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Rebuild the sample workbooks from the seed text (they are committed).
samples: $(STAMP)
	$(BIN)/python sample_workbooks/source/build_samples.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
