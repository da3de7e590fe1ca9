# `make run` and `make test` do all the set-up on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-requirements
PORT ?= 8501
REPLICAS ?= $(shell nproc)
TEST_WORKERS ?= $(shell nproc)
PUBLIC_HOST ?= localhost

# Graphviz draws the diagrams; DejaVu Sans is their Latin font and Noto Sans CJK their
# Chinese, Japanese and Korean one (a font package has no command: probed by a file it installs).
GRAPHVIZ := dot:graphviz,fonts-dejavu-core \
	/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core \
	/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk
BROWSER := chromium:chromium chromedriver:chromium-driver
SERVE := nginx:nginx supervisord:supervisor

# The interface's translations: Babel extracts the English strings into locale/messages.pot,
# merges them into each language's .po (translated by hand, committed), and compiles the .mo
# files the app reads (built here, not committed).
LOCALES := zh
POT := locale/messages.pot
PO := $(foreach l,$(LOCALES),locale/$(l)/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
PYBABEL := $(VENV)/bin/pybabel

.PHONY: run serve test test-fast bench setup system-graphviz system-browser system-serve clean i18n-extract i18n-update i18n-compile

# Reinstall only when requirements.txt changes.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

setup: $(STAMP) system-graphviz i18n-compile

i18n-extract: $(STAMP)
	PYTHONPATH=. $(PYBABEL) -q extract -F babel.cfg -k N_ --no-location --sort-output --omit-header \
		--project="Inception Studio" -o $(POT) .

# New strings arrive untranslated (and near-matches fuzzy): translate them, then clear the flag.
i18n-update: i18n-extract
	$(PYBABEL) -q update -i $(POT) -d locale -D messages -w 100 --ignore-obsolete --ignore-pot-creation-date

i18n-compile: $(MO)

locale/%/LC_MESSAGES/messages.mo: locale/%/LC_MESSAGES/messages.po $(STAMP)
	$(PYBABEL) -q compile -i $< -o $@

system-graphviz:
	@scripts/system-packages.sh $(GRAPHVIZ)

system-browser:
	@scripts/system-packages.sh $(BROWSER)

system-serve:
	@scripts/system-packages.sh $(SERVE)

run: setup
	$(PY) -m streamlit run app.py --server.headless true --server.port $(PORT)

# A classroom: REPLICAS Streamlit servers behind nginx on PORT, run and restarted by supervisord
# (in the foreground; Ctrl-C stops them all). Its files and logs are in build/serve/.
serve: setup system-serve
	$(PY) -m deploy.render --replicas $(REPLICAS) --port $(PORT) --host $(PUBLIC_HOST)
	exec supervisord -n -c build/serve/supervisord.conf

# The core, app and figure tests run on every core (pytest-xdist); then the browser, load and
# serve tests one at a time, since they time a real server that other tests would slow down.
# Both parts always run, and make test fails if either does.
test: setup system-browser system-serve
	status=0; \
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not browser and not load" || status=$$?; \
	$(PY) -m pytest -m "browser or load" || status=$$?; \
	exit $$status

# Everything except the real-browser and load tests: for quick checks while developing.
test-fast: setup system-serve
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not browser and not load"

bench: setup system-browser system-serve
	$(PY) -m bench

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis $(MO)
