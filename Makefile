# glassfail: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_PKGS := xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-cursor0 libxkbcommon-x11-0 libgl1-mesa-dri libegl1 libdbus-1-3 \
            chromium

.PHONY: demo test test-slow fuzz setup sysdeps clean

setup: $(STAMP)

sysdeps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "warning: missing system packages (install them as root):$$missing"; fi; \
	fi

$(STAMP): pyproject.toml Makefile
	$(MAKE) sysdeps
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU build of torch first (on this machine's disk); the package itself asks only for a range.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[napari,test]'
	touch $(STAMP)

demo: setup
	$(BIN)/glassfail demo

test: setup
	$(BIN)/python -m pytest -q

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

# Every reader fed 10,000 random and mutated files, in-process (GLASSFAIL_FUZZ_EXAMPLES=N: N per reader instead).
fuzz: setup
	GLASSFAIL_FUZZ=1 $(BIN)/python -m pytest -q -p no:cacheprovider -W ignore tests/fuzz

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
