# Every target sets up .venv first (idempotent: reinstalls only when pyproject.toml or the lock change).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXTRAS := lambda,model,cdk,local,test
# The `synth` extra of pyproject.toml, installed without its dependencies (pyproject.toml says why).
NO_DEPS := tinysoundfont
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup test check
# Type-checked strictly today; add `model` once its restructure lands (the strict config is already in pyproject.toml).
MYPY_STRICT_PATHS := shared lambdas model

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c requirements.lock -e '.[$(EXTRAS)]'
	$(PY) -m pip install --quiet --no-deps -c requirements.lock $(NO_DEPS)
	@touch $@

## check: lint, format, strict types and the import contracts (layering, no cycles); config in pyproject.toml
check: $(STAMP) studio-check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(MYPY_STRICT_PATHS)
	$(VENV)/bin/lint-imports

## test: the checks, then the whole suite (unit, integration, infrastructure, end to end)
test: check studio chromium
	$(PY) -m pytest -n 2 --dist loadgroup -q

## dev: the whole backend on one machine at http://127.0.0.1:$${PORT:-8000}; your work is kept in $${COMPOSER_DATA_DIR:-.composer/} and resumed at the next start (RESET=1 wipes it first, after a prompt)
.PHONY: dev dev-reset
dev: $(STAMP) studio
	@if [ -n "$(RESET)" ]; then $(MAKE) --no-print-directory dev-reset; fi
	@exec $(PY) -m local.runtime

## dev-reset: delete the local data folder ($${COMPOSER_DATA_DIR:-.composer/}: melodies, compositions, models, training jobs) after a prompt
dev-reset: $(STAMP)
	@$(PY) -m local.persistence.reset

## synth: the CloudFormation template into cdk.out/ with the pinned CDK CLI (no AWS credentials; offline once the caches are warm)
.PHONY: synth
synth: $(STAMP) node_modules/.installed studio
	npx --no-install cdk synth --no-notices --quiet

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## eval: every shipped technique on its held-out split: eval-gan (MODEL_DIR=... for another GAN), eval-arcnn, eval-transformer; each ends with one JSON line
.PHONY: eval eval-gan eval-arcnn eval-transformer eval-styles
eval: eval-gan eval-arcnn eval-transformer eval-styles

eval-gan: $(STAMP)
	$(PY) -m model.evaluate $(if $(MODEL_DIR),--model-dir $(MODEL_DIR))

eval-arcnn: $(STAMP)
	$(PY) -m model.arcnn.evaluate

## eval-transformer: the first run on a fresh machine parses the folk collections once (cached afterwards)
eval-transformer: $(STAMP)
	$(PY) -m model.transformer.evaluate --tunes 64

## eval-styles: (EVAL_ARGS=--no-two-sample leaves out the slow classifier two-sample test) each shipped style model against its own corpus's held-out pieces (the music table), then the style classifier on real held-out pieces and on every style model's accompaniments of one common set of held-out melodies
STYLE_MODELS := renaissance-polyphony madrigal classical-quartet trecento
eval-styles: $(STAMP)
	@for style in $(STYLE_MODELS); do \
	  $(PY) -m model.evaluate --model-dir model/pretrained/$$style $(EVAL_ARGS) > model/pretrained/$$style/evaluation.json || exit 1; \
	  tail -n 1 model/pretrained/$$style/evaluation.json | cut -c1-200; done
	$(PY) -m model.styles.evaluate
	$(PY) -m model.styles.cards

## soak: the long reliability runs (local runtime under load, then schemathesis with many examples); figures in benchmarks/RESULTS.md
.PHONY: soak
soak: $(STAMP)
	$(PY) -m benchmarks.soak --compositions $${SOAK_COMPOSITIONS:-200} --training-jobs $${SOAK_TRAINING_JOBS:-10}
	SCHEMATHESIS_EXAMPLES=$${SOAK_SCHEMATHESIS_EXAMPLES:-500} $(PY) -m pytest tests/security/test_openapi_schemathesis.py -q -s -p no:xdist

## bench: every performance goal as a ratio measured in one run (table, then one JSON line); ARGS=--skip-training for a quick run
.PHONY: bench
bench: $(STAMP)
	$(PY) -m benchmarks.run $(ARGS)

## studio: build the web studio into studio/dist/ (esbuild bundle + instrument samples rendered from the server's SoundFont); make dev serves it at /
.PHONY: studio studio-check chromium
STUDIO_SOURCES := $(wildcard studio/src/*.ts studio/src/pages/*.ts) studio/index.html studio/style.css studio/favicon.svg studio/build.mjs
STUDIO_SAMPLES := studio/dist/samples/manifest.json
studio: studio/dist/app.js $(STUDIO_SAMPLES)

studio/dist/app.js: $(STUDIO_SOURCES) node_modules/.installed
	node studio/build.mjs

# The samples come from the media function's synthesizer (tinysoundfont, installed by setup: NO_DEPS).
$(STUDIO_SAMPLES): studio/render_samples.py $(STAMP)
	$(PY) studio/render_samples.py studio/dist/samples

## studio-check: type-check the studio's TypeScript (tsc --noEmit, strict)
studio-check: node_modules/.installed
	node_modules/.bin/tsc -p studio/tsconfig.json

## chromium: Debian's chromium for the browser tests (installed with apt-get when missing)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
