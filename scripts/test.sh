#!/usr/bin/env bash
# nanogate — set up (scripts/setup.sh) and run every test: the GoogleTest suite
# through ctest, then the Python cross-checks (pytest) against onnxruntime,
# qonnx, Brevitas and the CMS AXOL1TL vectors in ../shared/models.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
BUILD="${NANOGATE_BUILD_DIR:-build}"
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)"
NANOGATE_BUILD_DIR="$BUILD" .venv/bin/python -m pytest -q tests/python
