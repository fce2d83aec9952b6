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
            wmctrl binutils fakeroot dpkg-dev baresip-core sip-tester

.PHONY: run test lint bench screenshots clean system-run system-test venv

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
	$(PY) -m pip install -q --upgrade pip setuptools wheel

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test,build]'
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

lint: $(VENV)/.installed-test
	$(BIN)/ruff check agent_assist tests bench build_installer.py
	$(BIN)/mypy
	$(BIN)/lint-imports

test: system-test $(VENV)/.installed-test lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(ARGS)

bench: $(VENV)/.installed-test
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

screenshots: system-test $(VENV)/.installed-test
	$(PY) -m agent_assist.ui.screenshots docs

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
