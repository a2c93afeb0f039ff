# KubeRack — build, test, demo, benchmarks, panels, and the Rack plugin.
#
#   make demo     render the bundled demo patch headless (WAV + event trace in out/)
#   make test     every test: formatting, lints, Rust, the C ABI program, generated files
#   make bench    criterion benchmarks
#   make host-cost CPU in the real Rack 2 engine against Fundamental's VCO (RACK_LOCAL=.../rack-local)
#   make panels   regenerate panels, plugin.json and PROTOCOL.md's tables from the descriptors
#   make plugin   build plugin.so with a Rack 2 SDK (RACK_DIR=/path/to/Rack-SDK)
#   make install  build and install into Rack 2's user plugin folder
#   make dist     build the .vcvplugin package

SHELL := /bin/bash
CARGO ?= cargo
OUT ?= out
DEMO_SECONDS ?= 30
DEMO_RECORD ?= --record Cluster:ETCD --record 5729140385501862:VOICE --record 7912367028457510:VOICE

.PHONY: all build demo test lint test-rust plugin-check bench host-cost panels header plugin install dist clean

all: build

build:
	$(CARGO) build --release --workspace

demo:
	@mkdir -p $(OUT)
	$(CARGO) run --release -q -p kuberack-cli -- play patches/demo.vcv --seconds $(DEMO_SECONDS) \
		--wav $(OUT)/demo.wav $(DEMO_RECORD) --events $(OUT)/demo-events.jsonl
	@echo "demo: $(OUT)/demo.wav and $(OUT)/demo-events.jsonl"

test: lint plugin-check test-rust

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# Ends with one line totalling every test binary's results.
test-rust:
	@mkdir -p $(OUT)
	set -o pipefail; $(CARGO) test --workspace --locked --lib --bins --tests 2>&1 | tee $(OUT)/test.log
	@if [ -z "$$KUBERACK_TEST_KUBECONFIG" ]; then \
		echo "real-cluster sync test skipped: KUBERACK_TEST_KUBECONFIG is not set (set it to the kubeconfig of a disposable cluster to run it)"; \
	fi
	@awk '/^test result:/ {p += $$4; f += $$6} END {printf "%d passed, %d failed\n", p, f}' $(OUT)/test.log

# The plugin's C++ needs a Rack 2 SDK, which no package registry provides.
plugin-check:
	@if [ -n "$(RACK_DIR)" ] && [ -f "$(RACK_DIR)/plugin.mk" ]; then \
		$(MAKE) -C plugin all check-symbols RACK_DIR="$(abspath $(RACK_DIR))"; \
	else \
		echo "plugin build skipped: no Rack 2 SDK (download it from https://vcvrack.com/downloads and run make test RACK_DIR=/path/to/Rack-SDK)"; \
	fi

bench:
	$(CARGO) bench -p kuberack-core -p kuberack-sync -p kuberack-ffi

# The real host's cost: builds the plugin against the SDK rack-local unpacks, installs it in a
# scratch user folder and prints README's table (REPS, WARMUP, WINDOW pass through).
HOST_COST_DIR ?= /tmp/kuberack-host-cost
host-cost:
	@if [ -z "$(RACK_LOCAL)" ]; then \
		echo "host-cost: set RACK_LOCAL to the rack-local script of a Rack 2.4.1 for Linux x64" >&2; exit 1; \
	fi
	python3 tools/host_cost.py --rack-local "$(RACK_LOCAL)" --dir "$(HOST_COST_DIR)"

panels:
	$(CARGO) run -q -p kuberack-protocol --bin kuberack-panels

header:
	KUBERACK_BLESS=1 $(CARGO) test -q -p kuberack-ffi --test header

plugin install dist:
	$(MAKE) -C plugin $@ RACK_DIR="$(abspath $(RACK_DIR))"

clean:
	$(CARGO) clean
	rm -rf $(OUT)
