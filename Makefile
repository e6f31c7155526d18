# PCKit's two commands:
#   make run   — install what is missing, build in release mode, run the main job
#   make test  — install what is missing, build, run every test (Swift and Python; the bridge's
#                timing test serves from the release build, as a robot lab deploys it; and
#                Tests/package/run.sh, PCKit built as a versioned dependency of another package)
# Both work on a fresh Debian machine that has only Swift: missing Debian packages are installed
# with apt-get when run as root, with sudo otherwise, or the exact command is printed.

SHELL        := /bin/bash
SWIFT        ?= swift
VENV         := .venv
PYTHON       := $(VENV)/bin/python
REQUIREMENTS := Interfaces/python/requirements.txt
APT_PACKAGES := libeigen3-dev libzmq3-dev pkg-config
PCCTL_DEBUG  := .build/debug/pcctl
PCCTL        := .build/release/pcctl
RUN_ARGS     ?=
# libpckit (the C ABI, Interfaces/c/pckit.h) and the C/C++ programs built against it.
PCKIT_LIBDIR := .build/debug
ABI_OUT      := .build/abi
ABI_CFLAGS   := -O2 -Wall -Wextra -Werror -ffp-contract=off -I Interfaces/c -I Interfaces/cpp -I Tests/c
ABI_LDFLAGS  := -L $(PCKIT_LIBDIR) -lpckit -Wl,-rpath,$(abspath $(PCKIT_LIBDIR)) -lm
ABI_EPISODES := 4

.PHONY: run test deps system-deps python-deps build build-release bench clean abi-test

# The main job: a predictive-coding agent swings up and balances the built-in pendulum
# (100 episodes on Gymnasium's initial states), prints its score and writes pendulum.svg.
run: deps build-release
	$(PCCTL) run pendulum --plot pendulum.svg $(RUN_ARGS)

test: deps build build-release
	$(SWIFT) build --product pcctl
	$(SWIFT) build -c release --product pckit
	SWIFT="$(SWIFT)" bash Tests/kernels/check_variants.sh "$$($(SWIFT) build --show-bin-path)"
	SWIFT="$(SWIFT)" bash Tests/kernels/check_variants.sh "$$($(SWIFT) build -c release --show-bin-path)"
	$(SWIFT) test --disable-xctest
	$(MAKE) --no-print-directory abi-test
	PCCTL="$(abspath $(PCCTL_DEBUG))" PCKIT_TIMING_PCCTL="$(abspath $(PCCTL))" \
	  PCKIT_LIBRARY="$(abspath $(PCKIT_LIBDIR)/libpckit.so)" PCKIT_RELEASE_LIBRARY="$(abspath .build/release/libpckit.so)" \
	  PCKIT_CPP_CLIENT="$(abspath $(ABI_OUT)/pckit_client_pendulum)" \
	  $(PYTHON) -m pytest -q Tests/python $(wildcard Interfaces/python/tests)
	PCCTL="$(abspath $(PCCTL_DEBUG))" SWIFT="$(SWIFT)" bash Tests/package/run.sh

# libpckit from C (gcc) and C++ (g++): the pendulum through the C ABI scores `pcctl run pendulum`'s
# returns to 1e-9 and every bad input gets a code and a message; the C++ bridge client
# (Interfaces/cpp/pckit_client.hpp) against the golden messages; then the 1 kHz control-loop example.
abi-test:
	$(SWIFT) build --product pckit
	$(SWIFT) build --product pcctl
	@mkdir -p $(ABI_OUT)
	gcc -std=c99 $(ABI_CFLAGS) Tests/c/test_pckit.c -o $(ABI_OUT)/test_pckit_c $(ABI_LDFLAGS)
	g++ -std=c++17 $(ABI_CFLAGS) Tests/c/test_pckit.cpp -o $(ABI_OUT)/test_pckit_cpp $(ABI_LDFLAGS) -pthread
	returns=$$($(PCCTL_DEBUG) run pendulum --episodes $(ABI_EPISODES) --json | python3 -c 'import json, sys; print(*map(repr, json.load(sys.stdin)["returns"]))') && \
	  $(ABI_OUT)/test_pckit_c Sims/Fixtures/GymnasiumInitialStates.swift $$returns && \
	  $(ABI_OUT)/test_pckit_cpp Sims/Fixtures/GymnasiumInitialStates.swift $$returns
	g++ -std=c++17 $(ABI_CFLAGS) Tests/cpp/test_pckit_client_golden.cpp -o $(ABI_OUT)/test_pckit_client_golden -lzmq
	$(ABI_OUT)/test_pckit_client_golden Interfaces/protocol/golden
	g++ -std=c++17 $(ABI_CFLAGS) Tests/cpp/pckit_client_pendulum.cpp -o $(ABI_OUT)/pckit_client_pendulum -lzmq
	g++ -std=c++17 $(ABI_CFLAGS) Examples/cpp/pckit_control_loop.cpp -o $(ABI_OUT)/pckit_control_loop $(ABI_LDFLAGS)
	$(ABI_OUT)/pckit_control_loop Examples/configs/arm2-reflex-aic.json 2

deps: system-deps python-deps

# Debian packages: checked one by one, installed only when missing (a second run installs nothing).
system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  elif command -v sudo >/dev/null 2>&1; then \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "PCKit needs these Debian packages:$$missing" >&2; \
	    echo "Run as root:  apt-get install -y$$missing" >&2; \
	    exit 1; \
	  fi; \
	fi

# The Python venv for clients, adapters and cross-checks; rebuilt only when requirements change.
python-deps: $(VENV)/.installed

$(VENV)/.installed: $(REQUIREMENTS)
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r $(REQUIREMENTS)
	@touch $@

build:
	$(SWIFT) build --build-tests

build-release:
	$(SWIFT) build -c release --product pcctl

# Every benchmark suite, as JSON (see README "Benchmarks").
bench: deps build-release
	$(PCCTL) bench numerics --json
	$(PCCTL) bench pc --json
	$(PCCTL) bench sims --json
	$(PCCTL) bench agents --json
	$(PCCTL) bench bridge --json

clean:
	rm -rf .build $(VENV)
