# The two commands of the README: `make run` starts the app, `make test` runs every check and test.
# While changing code: `make quick` (the tests without a browser or a real training run) and `make lint`.
# Both first set up what they need (a virtual environment in .venv, and for the tests Debian packages).

VENV := .venv
PYTHON := $(VENV)/bin/python
SHARED_MNIST := $(abspath ../shared/data/mnist/mnist.npz)
SHARED_PENDIGITS := $(abspath ../shared/data/pendigits/pendigits-orig.tra)
SHARED_UJIPEN := $(abspath ../shared/data/ujipen/ujipen-digits.txt)

# Quieter TensorFlow; the local MNIST copy and pen-drawn digits (for retraining as the shipped model was)
# when MNIST_PATH, PENDIGITS_PATH and UJIPEN_PATH are not set and the files are there.
export TF_CPP_MIN_LOG_LEVEL ?= 2
ifeq ($(MNIST_PATH),)
ifneq ($(wildcard $(SHARED_MNIST)),)
export MNIST_PATH := $(SHARED_MNIST)
endif
endif
ifeq ($(PENDIGITS_PATH),)
ifneq ($(wildcard $(SHARED_PENDIGITS)),)
export PENDIGITS_PATH := $(SHARED_PENDIGITS)
endif
endif
ifeq ($(UJIPEN_PATH),)
ifneq ($(wildcard $(SHARED_UJIPEN)),)
export UJIPEN_PATH := $(SHARED_UJIPEN)
endif
endif

.PHONY: run test quick lint setup setup-test packages

# The start-up check loads the active model and MNIST as the app will; a failure stops here with its reason.
run: setup
	$(PYTHON) -m mnist_app check
	$(PYTHON) -m streamlit run app.py

test: lint packages
	$(PYTHON) -m pytest

# A few minutes on 2 cores: everything but the browser tests and the runs of a real training worker.
quick: setup-test
	$(PYTHON) -m pytest -m "not browser and not slow"

# The style (ruff, configured in pyproject.toml) and the direction of imports (import-linter's contracts there).
lint: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here), nginx for the
# tests of two servers behind a proxy, and PostgreSQL's server for the tests of the shared database (each test
# run starts a throwaway cluster of its own: tests/postgres.py). Without root and without them, those tests
# skip and say why.
packages:
	@{ command -v chromium && { command -v nginx || test -x /usr/sbin/nginx; } && ls /usr/lib/postgresql/*/bin/initdb; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx-light postgresql >/dev/null; \
	  else echo "chromium, nginx or postgresql is missing: their tests will skip (sudo apt-get install chromium nginx-light postgresql)"; fi; }

setup: $(VENV)/.app-installed

setup-test: $(VENV)/.test-installed

$(VENV)/.app-installed: requirements.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.app-installed requirements-test.txt
	$(PYTHON) -m pip install --quiet -r requirements-test.txt
	touch $@
