#!/usr/bin/env bash
# Runs every test: C++ unit tests (ctest; CUDA sources compiled where nvcc exists), the C++
# embedding example against the installed package, and pytest. Extra arguments go to pytest.
# Run scripts/install.sh --test first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh

cuda_flag="-DVOXTWIN_CUDA=OFF"
if command -v nvcc >/dev/null 2>&1; then
  # Compile the CUDA sources even without a GPU so they never rot; one architecture is enough here.
  cuda_flag="-DVOXTWIN_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90"
fi
echo "== C++ unit tests"
cmake -S . -B build-cpp -G Ninja -DVOXTWIN_BUILD_TESTS=ON -DVOXTWIN_PYTHON=OFF $cuda_flag >build-cpp.log 2>&1 \
  || { cat build-cpp.log; exit 1; }
grep -E "backend|MPI solver|unit tests" build-cpp.log || true
cmake --build build-cpp
ctest --test-dir build-cpp --output-on-failure

echo "== C++ embedding example (find_package(voxtwin) from the installed wheel)"
cmake -S examples/embed_cpp -B build-embed -G Ninja -Dvoxtwin_DIR="$(python -c 'import voxtwin; print(voxtwin.get_cmake_dir())')" >/dev/null
cmake --build build-embed
./build-embed/embed_voxtwin

echo "== Python tests"
python -m pytest "$@"
