#!/usr/bin/env bash
# nanogate — one-step set-up on a fresh Debian 12 machine (idempotent):
#   1. installs the Debian packages the C++ build needs (apt-get, as root or via sudo),
#   2. creates the project venv .venv with the Python test helpers (tests/requirements.txt),
#   3. configures and builds the C++ library, the CLI and the tests into build/.
# Environment: NANOGATE_BUILD_DIR (default build), NANOGATE_SKIP_APT=1 to skip step 1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${NANOGATE_BUILD_DIR:-build}"

APT_PACKAGES=(cmake ninja-build g++ libprotobuf-dev protobuf-compiler libonnx-dev nlohmann-json3-dev
              libyaml-cpp-dev libhdf5-dev libzip-dev libssl-dev libcli11-dev liblemon-dev libgtest-dev libgmock-dev libbenchmark-dev python3-venv ccache
              verilator yosys nextpnr-ice40 fpga-icestorm iverilog ghdl
              clang libfuzzer-14-dev  # clang + libFuzzer: the sanitizer build and fuzz targets (scripts/fuzz.sh)
              chromium)               # headless rendering test of nanogate report's report.html
if [[ "${NANOGATE_SKIP_APT:-0}" != 1 ]]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # cmake may come from pip instead of Debian; it only has to be on PATH.
  if command -v cmake >/dev/null; then missing=("${missing[@]/cmake}"); fi
  missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
  if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""; [[ $(id -u) != 0 ]] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv with $PY"
  "$PY" -m venv .venv
fi
STAMP=.venv/.requirements.stamp
if [[ ! -f $STAMP ]] || ! cmp -s tests/requirements.txt "$STAMP"; then
  echo "setup: installing Python test helpers into .venv (tests/requirements.txt)"
  .venv/bin/pip install -q --disable-pip-version-check torch==2.13.0
  .venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt
  cp tests/requirements.txt "$STAMP"
fi

# Xilinx's Apache-2.0 ap_types headers ship inside the hls4ml wheel (never copied
# into this repository): with them, the ap_fixed cross-check test is built too.
source scripts/ccache.sh
AP_TYPES="$(.venv/bin/python -c 'import hls4ml, os; print(os.path.join(os.path.dirname(hls4ml.__file__), "templates", "vivado", "ap_types"))' 2>/dev/null || true)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNANOGATE_AP_TYPES_DIR="$AP_TYPES" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
