# Two set-up commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := sample_workbooks/annual_plan_2022_23.xlsx
OUT ?= out

.PHONY: demo test lint samples benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test,web]'
	touch $@

# The sample as of its board date. check exits 1 on the sample's real errors: shown, not
# fatal; exit 2 (planbook could not run) still stops the demo.
AS_OF ?= 2022-03-17

demo: $(STAMP)
	$(BIN)/planbook check $(SAMPLE) --as-of $(AS_OF) || test $$? -eq 1
	mkdir -p $(OUT)
	$(BIN)/planbook format $(SAMPLE) -o $(OUT)/annual_plan_2022_23.formatted.xlsx \
		--as-of $(AS_OF) --changelog $(OUT)/annual_plan_2022_23.changes.csv
	$(BIN)/planbook export $(SAMPLE) --as-of $(AS_OF) -o $(OUT)/annual_plan_2022_23.csv
	@echo "Formatted workbook: $(OUT)/annual_plan_2022_23.formatted.xlsx"
	@echo "Flat export, one row per milestone: $(OUT)/annual_plan_2022_23.csv"

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Rebuild the sample workbooks from the seed text (they are committed).
samples: $(STAMP)
	$(BIN)/python sample_workbooks/source/build_samples.py

# Not part of make test: times planbook against its floors on generated big plans.
benchmark: $(STAMP)
	$(BIN)/python -m pip install --quiet --editable '.[benchmark]'
	$(BIN)/python scripts/benchmark.py --workdir .benchmark --write

clean:
	rm -rf $(VENV) $(OUT) .benchmark .pytest_cache .ruff_cache
