# The two promised commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install up down status bench chaos lint clean

demo: install  ## start the local stack and run the example pipelines to success
	$(BIN)/emr-dags demo

test: install  ## unit, integration and end-to-end tests (starts and stops its own stack)
	$(BIN)/python -m pytest -q

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -c constraints.txt -e '.[dev]'
	touch $@

bench: install  ## benchmarks, side by side with the stock amazon provider; prints one table
	$(BIN)/emr-dags bench

chaos: install  ## the long chaos suite (>= 100 faulted runs); the short form runs in `make test`
	$(BIN)/emr-dags chaos --long

up: install
	$(BIN)/emr-dags up

down:
	$(BIN)/emr-dags down

status:
	$(BIN)/emr-dags status

lint: install
	$(BIN)/ruff check emr_dags plugins dags tests
	$(BIN)/ruff format --check emr_dags plugins dags tests

clean: down
	rm -rf .state $(VENV)
