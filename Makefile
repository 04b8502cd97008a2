# The two promised commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install browser up down up-docker down-docker status bench chaos lint clean

demo: install  ## start the local stack and run the example pipelines to success
	$(BIN)/emr-dags demo

test: install browser  ## unit, integration, Docker and end-to-end tests (starts and stops its own stacks)
	$(BIN)/python -m pytest -q

# The UI browser test drives Debian's Chromium (Playwright's own browser download does not work offline).
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif command -v apt-get >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "install chromium and chromedriver for the browser test" >&2; fi

install: $(VENV)/.installed

# The product (emr-dags, this folder) and the dev kit (emr-dags-devkit, devkit/), both editable.
$(VENV)/.installed: pyproject.toml devkit/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -c constraints.txt -e '.[dev]' -e ./devkit
	touch $@

bench: install  ## benchmarks, side by side with the stock amazon provider; prints one table
	$(BIN)/emr-dags bench

chaos: install  ## the long chaos suite (>= 100 faulted runs); the short form runs in `make test`
	$(BIN)/emr-dags chaos --long

up: install
	$(BIN)/emr-dags up

down:
	$(BIN)/emr-dags down

up-docker: install  ## the compose stack on Docker (CeleryExecutor); installs Docker and builds images when needed
	$(BIN)/emr-dags up --docker

down-docker:
	$(BIN)/emr-dags down --docker

status:
	$(BIN)/emr-dags status

lint: install
	$(BIN)/ruff check emr_dags devkit dags tests benchmarks
	$(BIN)/ruff format --check emr_dags devkit dags tests benchmarks
	$(BIN)/mypy emr_dags

clean: down
	rm -rf .state $(VENV)
