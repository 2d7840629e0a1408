# nanogate — sourced by scripts/setup.sh and test.sh (fuzz.sh and sanitize.sh
# inherit it from test.sh): compile through
# ccache when it is installed (setup.sh installs Debian's ccache), so that the
# Python extension's build (pip install ., build-python/) reuses the objects
# the C++ build (build/) compiled from the same sources and flags, and rebuilds
# after a fresh checkout are cheap. Only a build tree's first configure reads
# these variables; NANOGATE_NO_CCACHE=1 turns it off.
if [[ "${NANOGATE_NO_CCACHE:-0}" != 1 ]] && command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER="${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}"
  export CMAKE_C_COMPILER_LAUNCHER="${CMAKE_C_COMPILER_LAUNCHER:-ccache}"
  # One compiler name for both trees: CMake's default is c++, scikit-build-core's
  # Python's (g++), and ccache hashes the name, so c++ objects never serve g++.
  export CXX="${CXX:-g++}" CC="${CC:-gcc}"
fi
