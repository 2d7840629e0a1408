#!/usr/bin/env bash
# nanogate — set up (scripts/setup.sh) and run every test: the GoogleTest suite
# through ctest, then the Python package (pip install .) and the pytest suite:
# the API, and cross-checks against onnxruntime, qonnx, Brevitas and the CMS
# AXOL1TL vectors in ../shared/models. Last, the sanitizer and fuzzing stage
# (clang, AddressSanitizer + UBSan, build-fuzz/): the whole GoogleTest suite
# (the HLS C-simulations on one real model)
# and the CLI robustness tests against the sanitized build (scripts/sanitize.sh),
# every fuzz target for a fixed number of runs with a fixed seed on its seeds
# (scripts/fuzz.sh ci: the same commit, the same result), then every seed and
# corpus input through the CLI (fuzz/check_messages.py); NANOGATE_SKIP_FUZZ=1
# skips it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/ccache.sh
# Each stage prints its wall time (CI's budget is kept per stage).
stage() { echo "test: [$(date -u +%H:%M:%S), $((SECONDS / 60))m$((SECONDS % 60))s elapsed] $*"; }
stage "setup (scripts/setup.sh)"
bash scripts/setup.sh
BUILD="${NANOGATE_BUILD_DIR:-build}"
stage "ctest"
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)"
# The Python package: pip install . builds the same C++ core into the nanobind
# extension (scikit-build-core, incremental in build-python/; ccache reuses
# build/'s objects).
stage "pip install . (Python package)"
mkdir -p "$BUILD"
if ! .venv/bin/pip install --disable-pip-version-check --no-build-isolation . > "$BUILD/pip-install.log" 2>&1; then
  grep -v "^WARNING: Location" "$BUILD/pip-install.log" | tail -40
  echo "test: pip install . failed (log: $BUILD/pip-install.log)"
  exit 1
fi
stage "pytest"
# pytest-xdist: one worker per core (NANOGATE_PYTEST_WORKERS), whole files per
# worker so that module fixtures are built once.
NANOGATE_BUILD_DIR="$BUILD" .venv/bin/python -m pytest -q -n "${NANOGATE_PYTEST_WORKERS:-$(nproc)}" --dist loadfile \
    --durations=15 tests/python
if [[ "${NANOGATE_SKIP_FUZZ:-0}" != 1 ]]; then
  stage "sanitizers: the whole ctest and the CLI tests under ASan+UBSan (scripts/sanitize.sh)"
  # The HLS C-simulations mostly compile the generated C++ with g++ (not
  # sanitized): one real model's three strategies cover the emitter under the
  # sanitizers; the unsanitized ctest above runs them all.
  bash scripts/sanitize.sh -E 'HlsCsim.*/(TFC_2W2A|qkeras_jettagging|three_layer_keras|axol1tl_v1)_'
  stage "fuzz (scripts/fuzz.sh ci)"
  # fuzz_keras reads HDF5 in a child process with limits (libhdf5 1.10 can loop
  # on a corrupt file): a hang there is a one-line error, no longer a timeout.
  # A fixed number of runs, not seconds: a faster runner does not try more inputs.
  bash scripts/fuzz.sh ci
  stage "every fuzz input through the CLI (fuzz/check_messages.py)"
  # Every seed and corpus input through the CLI: a success or exactly one
  # `nanogate: error: FILE: ...` line (fuzz/check_messages.py).
  .venv/bin/python fuzz/check_messages.py --cli "$BUILD/nanogate" --max-per-target 200
fi
stage "done"
