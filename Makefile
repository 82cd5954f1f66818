# The two commands of the README: `make demo` and `make test`
# (and `make test-mypy-oldest`: the typetests with the oldest supported mypy).
# The first two create .venv with a Python 3.12+ interpreter found by tools/find-python.sh
# and install the project with its dev extra before doing anything else.

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTHON ?= $(shell sh tools/find-python.sh)

# The oldest mypy the plugin supports: the lower bound of the `mypy` extra in pyproject.toml.
OLDEST_VENV := .venv-mypy-oldest
OLDEST_STAMP := $(OLDEST_VENV)/.installed
OLDEST_MYPY = $(shell sed -n 's/^mypy = \["mypy>=\([0-9.]*\),.*/\1/p' pyproject.toml)

.PHONY: test demo bench docs lint typecheck pytest clean venv test-mypy-oldest

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
	$(BIN)/lint-imports

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

# The typetests with the oldest supported mypy, in a venv of its own (`make test` runs
# them with the newest, which the dev extra installs).
$(OLDEST_STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python 3.12+ found; see the message above." >&2; exit 1; }
	@test -n "$(OLDEST_MYPY)" || { echo "No mypy lower bound in pyproject.toml's mypy extra." >&2; exit 1; }
	test -x $(OLDEST_VENV)/bin/python || $(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST_VENV)/bin/python -m pip install --quiet -e ".[dev]" "mypy==$(OLDEST_MYPY)"
	@touch $(OLDEST_STAMP)

test-mypy-oldest: $(OLDEST_STAMP)
	$(OLDEST_VENV)/bin/mypy --version
	$(OLDEST_VENV)/bin/pytest typetests

# The text-analysis example through the Python API and through its YAML files
# (the same report twice), then its Mermaid diagram, then twice with a result cache.
demo: $(STAMP)
	@echo "== examples/text_analysis through the Python API"
	@$(BIN)/python examples/text_analysis/pipeline.py
	@echo
	@echo "== the same workflow from workflow.yaml and input.yaml"
	@$(BIN)/python examples/text_analysis/pipeline.py --yaml
	@echo
	@echo "== its Mermaid diagram"
	@$(BIN)/python examples/text_analysis/pipeline.py --mermaid
	@echo
	@echo "== twice with a result cache (build/demo-cache): the second run is served from it"
	@$(BIN)/python examples/text_analysis/pipeline.py --cache build/demo-cache

# Every benchmark (issue 6): a table on stdout and benchmarks/results.json. `make test`
# runs them once in smoke mode (tests/test_benchmarks.py).
bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(OLDEST_VENV) .mypy_cache .pytest_cache .ruff_cache
