# chatqa: the two commands are `make demo` and `make test`; both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup system-deps lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Optional system packages (Grammalecte; chromium for the report's browser test). Tried with apt-get where it exists and we are root;
# the build goes on without them, saying so.
system-deps:
	@bash scripts/install_system_deps.sh

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: system-deps $(STAMP)

demo: setup
	$(BIN)/chatqa score examples/chats_fr.jsonl --grid fr_chat --out out/demo --format csv
	$(BIN)/chatqa report out/demo
	@echo "Tables, pre-filled forms, report.html and the evaluator workbook forms.xlsx in out/demo/."

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check chatqa tests benchmarks

bench: setup
	$(BIN)/python benchmarks/pipeline_throughput.py

clean:
	rm -rf $(VENV) out build *.egg-info
