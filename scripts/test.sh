#!/usr/bin/env bash
# Runs the whole test suite twice: a normal build and an AddressSanitizer+UndefinedBehaviorSanitizer
# build (no recover). Each run has the unit tests, the integration tests driving the real
# binaries, and a replay of every fuzz corpus. With clang available it also builds the real
# libFuzzer targets and gives each a short, fixed number of runs.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

# The repository carries its own copy of the Wassette policy files; when the shared copy is
# beside it, they must not have drifted apart.
if [ -d ../shared/compat/wassette ]; then
    diff -r ../shared/compat/wassette tests/data/compat/wassette >/dev/null ||
        { echo "test: tests/data/compat/wassette differs from ../shared/compat/wassette"; exit 1; }
fi

suite() {
    local dir=$1
    shift
    echo "=== $dir: configure and build"
    cmake -S . -B "$dir" "${generator[@]}" "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
    echo "=== $dir: test"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
suite build-asan -DCMAKE_BUILD_TYPE=Debug -DWARDEN_SANITIZE=ON -DWARDEN_BENCH=OFF

# The tests that share objects between threads, once more under ThreadSanitizer.
echo "=== build-tsan: threaded tests under ThreadSanitizer"
cmake -S . -B build-tsan "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARDEN_BENCH=OFF \
    -DCMAKE_C_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread >/dev/null
cmake --build build-tsan -j "$jobs" --target test_decide test_audit test_registry test_policy_cache test_watch test_engine
TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure \
    -R 'unit\.test_(decide|audit|registry|policy_cache|watch|engine)$'

if command -v clang >/dev/null; then
    echo "=== build-fuzz: libFuzzer targets (clang), a fixed number of runs each"
    CC=clang cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DWARDEN_FUZZ=ON -DWARDEN_SANITIZE=ON -DWARDEN_BENCH=OFF >/dev/null
    cmake --build build-fuzz -j "$jobs"
    for target in build-fuzz/fuzz/fuzz_*; do
        [ -x "$target" ] || continue
        name=$(basename "$target")
        scratch=$(mktemp -d)
        "$target" -runs=20000 -seed=1 "$scratch" "fuzz/corpus/${name#fuzz_}" 2>&1 | tail -1
        rm -rf "$scratch"
    done
fi
echo "=== all suites passed"
