# `make run` and `make test` do all the set-up on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-requirements
PORT ?= 8501
REPLICAS ?= $(shell nproc)
PUBLIC_HOST ?= localhost

# Graphviz draws the diagrams; DejaVu Sans is their Latin font and Noto Sans CJK their
# Chinese, Japanese and Korean one (a font package has no command: probed by a file it installs).
GRAPHVIZ := dot:graphviz,fonts-dejavu-core \
	/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core \
	/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk
BROWSER := chromium:chromium chromedriver:chromium-driver
SERVE := nginx:nginx supervisord:supervisor

.PHONY: run serve test test-fast bench setup system-graphviz system-browser system-serve clean

# Reinstall only when requirements.txt changes.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

setup: $(STAMP) system-graphviz

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

test: setup system-browser system-serve
	$(PY) -m pytest

# Everything except the real-browser and load tests: for quick checks while developing.
test-fast: setup system-serve
	$(PY) -m pytest -m "not browser and not load"

bench: setup system-browser system-serve
	$(PY) -m bench

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis
