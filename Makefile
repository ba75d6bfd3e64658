# umbra — short entry points over CMake. `make help` lists them.
BUILD        ?= build
BUILD_ASAN   ?= build-asan
BUILD_FUZZ   ?= build-fuzz
JOBS         ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 20
CMAKE_FLAGS  ?=

.PHONY: all build test test-asan check bench fuzz run clean help deps format

all: build

help:
	@echo "make            build umbra (./$(BUILD)/umbra)"
	@echo "make test       build and run the whole test suite"
	@echo "make test-asan  the test suite under AddressSanitizer + UBSan ($(BUILD_ASAN)/)"
	@echo "make check      test + test-asan (what CI runs)"
	@echo "make bench      build and run every benchmark (prints comparison tables)"
	@echo "make fuzz       build libFuzzer targets with clang-19, run each FUZZ_SECONDS=$(FUZZ_SECONDS)s"
	@echo "make run        umbra's main job on embedded defaults"
	@echo "make deps       scripts/bootstrap (Debian packages + verified PQClean)"

deps:
	./scripts/bootstrap

deps/PQClean/.umbra-verified:
	./scripts/bootstrap --deps

$(BUILD)/Makefile: CMakeLists.txt deps/PQClean/.umbra-verified
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

# After ctest, print the counts tests report (vector sets, spec suite) from ctest's log.
SUMMARY = grep -hE '^(vectors: |spec: |[A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed|^vectors: ' Testing/Temporary/LastTest.log | sort -u || true

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS); rc=$$?; $(SUMMARY); exit $$rc

$(BUILD_ASAN)/Makefile: CMakeLists.txt deps/PQClean/.umbra-verified
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DUMBRA_SANITIZE=ON $(CMAKE_FLAGS)

test-asan: $(BUILD_ASAN)/Makefile
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -LE slow; rc=$$?; $(SUMMARY); exit $$rc

check: test test-asan

bench: build
	./scripts/bench $(BUILD)

$(BUILD_FUZZ)/Makefile: CMakeLists.txt deps/PQClean/.umbra-verified
	CC=clang-19 cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUMBRA_FUZZ=ON \
	  -DCMAKE_C_FLAGS="-fsanitize=address,undefined -fsanitize=fuzzer-no-link" $(CMAKE_FLAGS)

fuzz: $(BUILD_FUZZ)/Makefile
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	./scripts/fuzz $(BUILD_FUZZ) $(FUZZ_SECONDS)

run: build
	./scripts/run $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
