# The two commands: `make demo` runs the main job on real data, `make test` runs every test.
# Both install missing Debian packages first, then build in build/ (ccache when present).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all setup build test demo bench clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: setup $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	bash scripts/check_baseline.sh $(BUILD)

demo: build
	bash scripts/demo.sh $(BUILD)

bench: build
	$(BUILD)/diffbench_bench --benchmark_format=json --benchmark_out=$(BUILD)/bench.json

clean:
	rm -rf $(BUILD)
