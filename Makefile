# The two commands of the README: `make demo` and `make test`.
# Both create .venv with a Python 3.12+ interpreter found by tools/find-python.sh
# and install the project with its dev extra before doing anything else.

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTHON ?= $(shell sh tools/find-python.sh)

.PHONY: test demo bench docs lint typecheck pytest clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python 3.12+ found; see the message above." >&2; exit 1; }
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Each example is its own program (both have a pipeline.py), so each is checked alone.
typecheck: $(STAMP)
	$(BIN)/mypy taskmaestro mypy_plugin tests typetests benchmarks
	for example in examples/*/; do $(BIN)/mypy "$$example" || exit 1; done

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest docs

# The documentation site (docs/ and mkdocs.yml); --strict turns a broken link into a failure.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir build/site

# The text-analysis example through the Python API and through its YAML files
# (the same report twice), then its Mermaid diagram.
demo: $(STAMP)
	@echo "== examples/text_analysis through the Python API"
	@$(BIN)/python examples/text_analysis/pipeline.py
	@echo
	@echo "== the same workflow from workflow.yaml and input.yaml"
	@$(BIN)/python examples/text_analysis/pipeline.py --yaml
	@echo
	@echo "== its Mermaid diagram"
	@$(BIN)/python examples/text_analysis/pipeline.py --mermaid

# Every benchmark (issue 6): a table on stdout and benchmarks/results.json. `make test`
# runs them once in smoke mode (tests/test_benchmarks.py).
bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
