# KubeRack — build, test, demo, benchmarks, panels, and the Rack plugin.
#
#   make demo     render the bundled demo patch headless (WAV + event trace in out/)
#   make test     every test: formatting, lints, Rust, the C ABI program, generated files, and
#                 with RACK_DIR and RACK_LOCAL the plugin build and a smoke test in a real Rack
#   make rack-smoke  only the smoke test in a real Rack (RACK_DIR and RACK_LOCAL, see README)
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

# The smoke test in a real Rack: rack-local (`rack-local setup DIR` gives RACK_DIR=DIR/Rack-SDK).
RACK_LOCAL ?=
RACK_SMOKE_SECONDS ?= 4
RACK_SMOKE_PATCHES ?= tests/rack/all-modules.patch.json patches/demo.vcv patches/forge.vcv patches/recorded/forge.imported.vcv
HAVE_RACK_SDK = [ -n "$(RACK_DIR)" ] && [ -f "$(RACK_DIR)/plugin.mk" ]
# make test builds plugin.so with the tests' dev profile (one cargo build for both; the release
# build of the dependencies alone would add many minutes to CI). make plugin/dist/install: release.
TEST_PLUGIN_FLAGS ?= RUST_PROFILE=dev
# Sums cargo's `test result:` lines (and the smoke test's, in the same format).
TOTALS = awk '/^test result:/ {p += $$4; f += $$6} END {printf "%d passed, %d failed\n", p, f}'

.PHONY: all build demo test lint test-rust test-rust-run rack-smoke plugin-check bench host-cost panels header plugin install dist clean

all: build

build:
	$(CARGO) build --release --workspace

demo:
	@mkdir -p $(OUT)
	$(CARGO) run --release -q -p kuberack-cli -- play patches/demo.vcv --seconds $(DEMO_SECONDS) \
		--wav $(OUT)/demo.wav $(DEMO_RECORD) --events $(OUT)/demo-events.jsonl
	@echo "demo: $(OUT)/demo.wav and $(OUT)/demo-events.jsonl"

# Runs the Rust tests and the smoke test even when one fails, then ends with one line totalling
# both; exits non-zero when anything failed.
test: lint plugin-check
	@status=0; \
	$(MAKE) --no-print-directory test-rust-run || status=1; \
	$(MAKE) --no-print-directory rack-smoke || status=1; \
	$(TOTALS) $$(ls $(OUT)/test.log $(OUT)/rack-smoke.log 2>/dev/null) </dev/null; \
	exit $$status

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# Ends with one line totalling every test binary's results.
test-rust:
	@status=0; $(MAKE) --no-print-directory test-rust-run || status=1; $(TOTALS) $(OUT)/test.log; exit $$status

test-rust-run:
	@mkdir -p $(OUT)
	set -o pipefail; $(CARGO) test --workspace --locked --no-fail-fast --lib --bins --tests 2>&1 | tee $(OUT)/test.log
	@if [ -z "$$KUBERACK_TEST_KUBECONFIG" ]; then \
		echo "real-cluster sync test skipped: KUBERACK_TEST_KUBECONFIG is not set (set it to the kubeconfig of a disposable cluster to run it)"; \
	fi

# Packages the plugin and plays every bundled patch headless in a real Rack (tests/rack/smoke.py).
rack-smoke:
	@mkdir -p $(OUT); rm -f $(OUT)/rack-smoke.log
	@if $(HAVE_RACK_SDK) && [ -x "$(RACK_LOCAL)" ]; then \
		$(MAKE) --no-print-directory -C plugin dist RACK_DIR="$(abspath $(RACK_DIR))" $(TEST_PLUGIN_FLAGS) >$(OUT)/rack-smoke-build.log 2>&1 \
			|| { tail -n 30 $(OUT)/rack-smoke-build.log; echo "test result: FAILED. 0 passed; 1 failed; the plugin package did not build" | tee $(OUT)/rack-smoke.log; exit 1; }; \
		set -o pipefail; python3 tests/rack/smoke.py --rack-local "$(RACK_LOCAL)" --rack-dir "$(abspath $(RACK_DIR))" \
			--package "$$(ls plugin/dist/KubeRack-$$(jq -r .version plugin/plugin.json)-*.vcvplugin)" --work $(OUT)/rack-smoke \
			--seconds $(RACK_SMOKE_SECONDS) $(RACK_SMOKE_PATCHES) | tee $(OUT)/rack-smoke.log; \
	else \
		echo "Rack smoke test skipped: it needs RACK_DIR (a Rack 2 SDK) and RACK_LOCAL (rack-local, which runs the Rack app beside that SDK); see README"; \
	fi

# The plugin's C++ needs a Rack 2 SDK, which no package registry provides.
plugin-check:
	@if [ -n "$(RACK_DIR)" ] && [ -f "$(RACK_DIR)/plugin.mk" ]; then \
		$(MAKE) -C plugin all check-symbols RACK_DIR="$(abspath $(RACK_DIR))" $(TEST_PLUGIN_FLAGS); \
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
	python3 tools/host_cost.py --rack-local "$(RACK_LOCAL)" --dir "$(HOST_COST_DIR)" $(if $(HOST_COST_ONLY),--only "$(HOST_COST_ONLY)")

panels:
	$(CARGO) run -q -p kuberack-protocol --bin kuberack-panels

header:
	KUBERACK_BLESS=1 $(CARGO) test -q -p kuberack-ffi --test header

plugin install dist:
	$(MAKE) -C plugin $@ RACK_DIR="$(abspath $(RACK_DIR))"

clean:
	$(CARGO) clean
	rm -rf $(OUT)
