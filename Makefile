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
SELF_LINT = pytest_loopguard flake8_asyncblock benchmarks docs noxfile.py .ci
# nox.options.download_python (never fetch an interpreter) needs 2025.05.01.
NOX = nox>=2025.5.1
NOX_ARGS ?=

.PHONY: test matrix lint lint-checks demo docs clean

# The lint, then the suite on every supported Python the machine has.
test: lint matrix

# The suite on every Python of noxfile.py that the machine has, each in a fresh environment; a
# missing one is skipped with a message, and a run where none was found fails. nox fails a
# session whose pytest exits non-zero, status 5 (no tests collected) included.
# `make matrix NOX_ARGS="-s tests-3.12"` runs one interpreter.
matrix:
	rm -rf $(TEST_VENV) .nox
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TEST_VENV)/bin/python -m pip install --quiet '$(NOX)'
	$(TEST_VENV)/bin/nox --report .nox/report.json $(NOX_ARGS); status=$$?; \
	    $(TEST_VENV)/bin/python .ci/matrix_report.py .nox/report.json || status=1; \
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
	$(PYTHON) docs/generate_options.py

clean:
	rm -rf $(TEST_VENV) $(LINT_VENV) $(DEMO_VENV) .nox build dist *.egg-info
