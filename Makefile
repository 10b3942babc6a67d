# The two commands of the README's quick start: `make demo` and `make test`.
PYTHON ?= python3
# `make test` builds this environment from scratch on every run, so a missing
# install step fails here rather than on a user's machine.
TEST_VENV ?= .venv-test
DEMO_VENV ?= .venv-demo

.PHONY: test demo docs clean

test:
	rm -rf $(TEST_VENV)
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TEST_VENV)/bin/python -m pip install --quiet -e '.[test]'
	$(TEST_VENV)/bin/python -m pytest -p no:cacheprovider; status=$$?; \
	    if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	    exit $$status

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
	rm -rf $(TEST_VENV) $(DEMO_VENV) build dist *.egg-info
