# Interlock — the two commands a newcomer needs are `make demo` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PYTHON  ?= python3
PACKAGES := -p interlock -p interlock_sandbox -p interlock_dingtalk -p interlock_beisen \
            -p interlock_yonyou -p interlock_witnesses -p interlock_gateway -p interlock_contract \
            -p interlock_notify_channels

.PHONY: install lint typecheck unit contract test demo tour bench crash-test clean reference \
        mutation

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@# An editable install is found through an import hook that mypy cannot follow; a .pth
	@# naming the source roots lets strict mypy (here and in adapter projects) see them.
	$(PY) -c "import pathlib, sysconfig; roots = [str(pathlib.Path(d).resolve()) for d in \
	  ('sdk', 'adapters', 'plugins', 'service', 'contract_tests')]; \
	  pathlib.Path(sysconfig.get_paths()['purelib'], 'interlock-sources.pth').write_text( \
	  '\n'.join(roots) + '\n')"
	@touch $@

install: $(VENV)/.installed

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy $(PACKAGES)

unit: install
	$(VENV)/bin/pytest

contract: install
	$(VENV)/bin/interlock contract --all

test: lint typecheck unit contract

demo: install
	@./scripts/demo.sh

tour: install
	@./scripts/tour.sh

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

crash-test: install
	$(PY) bench/crash_test.py

# The adapter-author API reference, from the docstrings (offline; not committed).
REFERENCE_MODULES := interlock.adapter interlock.capabilities interlock.http interlock.doubles \
                     interlock.transitions interlock.privacy interlock.errors interlock.models \
                     interlock_contract
reference: install
	$(VENV)/bin/pdoc -o docs/reference --no-search --no-show-source -d restructuredtext \
	  $(REFERENCE_MODULES)

# Each adapter's modules mutated and run against its own contract suite (slow: not in `test`).
mutation: install
	$(PY) -m interlock_contract.mutation sandbox dingtalk beisen yonyou \
	  --equivalents tests/contract_kit/mutation_equivalents.toml --json .mutation-scores.json

clean:
	rm -rf .interlock .pytest_cache .mypy_cache .ruff_cache .hypothesis
