#!/usr/bin/env bash
# nanogate — the AddressSanitizer + UndefinedBehaviorSanitizer build (clang):
# the library, the CLI and the GoogleTest suite in build-fuzz/ (the same build
# as scripts/fuzz.sh), then ctest and the CLI error/robustness tests
# (pytest, against the sanitized CLI). Any sanitizer report fails the run
# (-fno-sanitize-recover, ASan's leak check at exit).
#
#   bash scripts/sanitize.sh                 # ctest (all) + CLI error tests (CI runs this)
#   bash scripts/sanitize.sh -R 'Frontend|Config'   # ctest arguments (a subset)
#
# Environment: NANOGATE_FUZZ_BUILD (default build-fuzz); NANOGATE_SANITIZE_CTEST=0
# skips the GoogleTest build and ctest (a quick CLI-only run), NANOGATE_SANITIZE_PYTEST=0
# the pytest part. Needs clang and libfuzzer-14-dev (scripts/setup.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${NANOGATE_FUZZ_BUILD:-build-fuzz}"
NANOGATE_FUZZ_BUILD="$BUILD" bash scripts/fuzz.sh configure
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if [[ "${NANOGATE_SANITIZE_CTEST:-1}" != 0 ]]; then
  cmake --build "$BUILD" -j"$(nproc)" --target nanogate nanogate_tests
  ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" "$@"
else
  cmake --build "$BUILD" -j"$(nproc)" --target nanogate
fi
if [[ "${NANOGATE_SANITIZE_PYTEST:-1}" != 0 ]]; then
  NANOGATE_BUILD_DIR="$BUILD" .venv/bin/python -m pytest -q tests/python/test_cli_robustness.py \
      tests/python/test_cli_errors.py
fi
