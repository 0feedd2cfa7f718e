# The two commands of the README: `make run` and `make test`. Both set up everything
# they need (virtual environment, pinned packages, embedded PostgreSQL/Redis when
# DATABASE_URL/REDIS_URL are unset, Chromium for browser tests).
SHELL := /bin/bash
VENV := .venv
VPY := $(VENV)/bin/python
# Django 6 needs Python >= 3.12; take the first interpreter that is new enough.
PYTHON ?= $(shell for p in python3.13 python3.12 python3 $(HOME)/.pyenv/versions/3.13*/bin/python3 $(HOME)/.pyenv/versions/3.12*/bin/python3 /usr/local/bin/python3.1[2-9]; do \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
PYTEST_ARGS ?=

.PHONY: run test bench lint fmt messages venv chromium stop clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (Django 6)."; exit 1; }
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

chromium:
	@command -v chromium >/dev/null || { echo "Installing Debian's chromium for browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

run: venv
	$(VPY) -m ocrm.devstack run

test: venv chromium
	$(VPY) -m ocrm.devstack test $(PYTEST_ARGS)

bench: venv $(VENV)/.installed-bench
	$(VPY) -m ocrm.devstack bench $(BENCH_ARGS)

$(VENV)/.installed-bench: requirements-bench.txt $(VENV)/.installed
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements-bench.txt
	@touch $@

stop: venv
	$(VPY) -m ocrm.devstack stop

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv
	$(VENV)/bin/ruff format .

# Re-extract and compile translations (needs GNU gettext; the .mo files are committed).
messages: venv
	$(VPY) manage.py makemessages -l zh_Hans --no-obsolete -i '.venv/*' -i 'var/*' -i 'bench/*' >/dev/null
	$(VPY) manage.py compilemessages -i .venv -i var >/dev/null

clean:
	rm -rf $(VENV) var/staticfiles
