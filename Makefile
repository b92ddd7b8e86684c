# Every target sets up .venv first (idempotent: reinstalls only when pyproject.toml or the lock change).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXTRAS := lambda,model,cdk,local,test
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup test

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c requirements.lock -e '.[$(EXTRAS)]'
	@touch $@

## test: the whole suite (unit, integration, infrastructure, end to end)
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -q

## dev: the whole backend on one machine at http://127.0.0.1:$${PORT:-8000} (Ctrl-C stops it; data lives in memory)
.PHONY: dev
dev: $(STAMP)
	@exec $(PY) -m local.runtime
