# The two commands of the README's quick start: `make demo` and `make test`.
PYTHON ?= python3
# `make test` builds its environments from scratch on every run, so a missing
# install step fails here rather than on a user's machine.
TEST_VENV ?= .venv-test
LINT_VENV ?= .venv-lint
DEMO_VENV ?= .venv-demo
# Where `make lint-checks` finds mypy, ruff and asyncblock: a worktree's own environment.
BIN ?= .venv/bin
# The project's own code, checked by its own linter. The fixtures and examples are left out:
# their findings are the point.
SELF_LINT = pytest_loopguard flake8_asyncblock benchmarks docs

.PHONY: test lint lint-checks demo docs clean

test: lint
	rm -rf $(TEST_VENV)
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TEST_VENV)/bin/python -m pip install --quiet -e '.[test]'
	$(TEST_VENV)/bin/python -m pytest -p no:cacheprovider; status=$$?; \
	    if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	    exit $$status

# Type check, style and the project's own ABL rules, in a fresh environment.
lint:
	rm -rf $(LINT_VENV)
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LINT_VENV)/bin/python -m pip install --quiet -e '.[test,lint]'
	$(MAKE) --no-print-directory lint-checks BIN=$(LINT_VENV)/bin

# The same checks in an environment that already has them (`pip install -e '.[test,lint]'`).
lint-checks:
	$(BIN)/mypy
	$(BIN)/ruff check .
	$(BIN)/asyncblock check $(SELF_LINT)

$(DEMO_VENV)/.installed: pyproject.toml
	rm -rf $(DEMO_VENV)
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(DEMO_VENV)/bin/python -m pip install --quiet -e . pytest-asyncio
	touch $@

demo: $(DEMO_VENV)/.installed
	PATH="$(CURDIR)/$(DEMO_VENV)/bin:$$PATH" bash examples/demo.sh

docs:
	$(PYTHON) docs/generate_rules.py

clean:
	rm -rf $(TEST_VENV) $(LINT_VENV) $(DEMO_VENV) .nox build dist *.egg-info
