# Agent Assist: the two set-up commands are `make run` and `make test`.
# Both work as root on a fresh Debian machine with no screen.
SHELL := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
ARGS   ?=

# Debian packages: Qt's xcb/EGL libraries, espeak-ng for pyttsx3, a sound server for the live-audio tests,
# Xvfb + a window manager for screenshots and the OS-focus test, poppler for PDF checks, sox for audio checks.
APT_RUN  := python3 python3-venv python3-pip libegl1 libgl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 \
            libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 \
            libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 \
            libxcb-xfixes0 libxrender1 libxi6 libsm6 libice6 libpulse0 libasound2 fonts-dejavu-core \
            libpipewire-0.3-0 espeak-ng libespeak-ng1 xvfb xauth
APT_TEST := $(APT_RUN) pulseaudio pulseaudio-utils alsa-utils sox poppler-utils openbox x11-utils xdotool \
            wmctrl binutils fakeroot dpkg-dev postgresql

.PHONY: run test test-repeat wheel-check lint bench screenshots clean system-run system-test venv team-demo train-phrasing

define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

system-run:
	$(call apt_install,$(APT_RUN))

system-test:
	$(call apt_install,$(APT_TEST))

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# silero-vad ships the Silero VAD ONNX model we run with onnxruntime; its declared torch dependency is
# not needed for that (and is huge), so it is installed without dependencies
SILERO := 'silero-vad>=6.2.3,<7'

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	$(PY) -m pip install -q --no-deps $(SILERO)
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test,build]'
	$(PY) -m pip install -q --no-deps $(SILERO)
	touch $@ $(VENV)/.installed-run

venv: $(VENV)/.installed-run

# Starts the app on its demo database (created on first run in the user data directory).
# With no display, it starts a virtual one so the command still works on a headless machine.
run: system-run $(VENV)/.installed-run
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && [ -z "$$QT_QPA_PLATFORM" ]; then \
	  echo "No display found: starting the app on a virtual X display (xvfb-run)."; \
	  xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/agent-assist $(ARGS); \
	else \
	  $(BIN)/agent-assist $(ARGS); \
	fi

# Team mode on one machine: a local PostgreSQL cluster under the user data directory (team-demo/), a demo
# team (three agents' desks pushed through the real pusher), then the app as the supervisor on it.
# `$(PY) -m agent_assist.workflows.team_demo --stop` stops the cluster.
team-demo: system-test $(VENV)/.installed-run
	$(PY) -m agent_assist.workflows.team_demo --env .team-demo.env
	@. ./.team-demo.env; export AGENT_ASSIST_TEAM_URL PGPASSFILE; \
	if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && [ -z "$$QT_QPA_PLATFORM" ]; then \
	  xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/agent-assist --db "$$TEAM_DESK" --profile supervisor $(ARGS); \
	else \
	  $(BIN)/agent-assist --db "$$TEAM_DESK" --profile supervisor $(ARGS); \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check agent_assist tests bench build_installer.py
	$(BIN)/mypy
	$(BIN)/lint-imports

test: system-test $(VENV)/.installed-test lint wheel-check
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(ARGS)

# The whole suite N times in a row (default 5); stops at the first failing run. A flaky test is a bug.
REPEAT ?= 5
test-repeat: system-test $(VENV)/.installed-test
	@for i in $$(seq 1 $(REPEAT)); do echo "== run $$i of $(REPEAT)"; \
	  QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:randomly $(ARGS) || exit 1; done

# Build the wheel, install it into a fresh venv outside the source tree, and run the installed app's
# self-test and a phrasing check from an unrelated folder: proves the wheel carries everything it needs.
wheel-check: $(VENV)/.installed-test
	@set -e; tmp=$$(mktemp -d -t agent-assist-wheel.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; \
	echo "Building the wheel and installing it into $$tmp/venv"; \
	$(PY) -m build --wheel --outdir "$$tmp/dist" . >"$$tmp/build.log" 2>&1 || { cat "$$tmp/build.log"; exit 1; }; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install -q "$$tmp"/dist/*.whl >"$$tmp/pip.log" 2>&1 || { tail -40 "$$tmp/pip.log"; exit 1; }; \
	"$$tmp/venv/bin/python" -m pip install -q --no-deps $(SILERO) >>"$$tmp/pip.log" 2>&1 || { tail -40 "$$tmp/pip.log"; exit 1; }; \
	cd "$$tmp"; export HOME="$$tmp/home" QT_QPA_PLATFORM=offscreen; unset PYTHONPATH; \
	"$$tmp/venv/bin/agent-assist-cli" --self-test; \
	out=$$("$$tmp/venv/bin/agent-assist-cli" check "Didn't you read the manual?"); echo "$$out"; \
	case "$$out" in *blam*|*loaded*|*negative*|*Negative*|*Loaded*|*Blam*) ;; \
	  *) echo "wheel-check: the installed app flagged nothing in a blaming question"; exit 1;; esac; \
	echo "wheel-check: the installed wheel works outside the source tree"

bench: $(VENV)/.installed-test
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

screenshots: system-test $(VENV)/.installed-test
	$(PY) -m agent_assist.ui.screenshots docs

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache

# The phrasing coach's sentence classifier (resources/phrasing/textcat/), from the dev split only; seeded.
train-phrasing: $(VENV)/.installed-test
	$(PY) scripts/phrasing/build_eval.py
	$(PY) scripts/phrasing/train.py
