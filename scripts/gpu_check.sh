#!/usr/bin/env bash
# The prepared GPU run: everything a GPU machine needs to build, test and benchmark the CUDA backend
# in one go, on a machine that reaches no package registry.
#
#   bash scripts/gpu_check.sh prepare       # here (registries reachable): fills .gpu_bundle/ (git-ignored, <= 64 MiB)
#   bash scripts/gpu_check.sh run OUT       # on the GPU machine: build, ctest, pytest -m gpu, benchmarks -> OUT/
#   bash scripts/gpu_check.sh selftest OUT  # here: `run` in a clean environment (PATH, PYTHONPATH and the
#                                           # system's Eigen/FFTW/GTest out of sight); stops at "no GPU"
#
# .gpu_bundle/ holds Debian packages (apt-get download, unpacked with dpkg -x into prefix/: Eigen,
# FFTW, GoogleTest) and Python wheels (pip download: zarr and what it needs beyond the GPU image,
# for CPython 3.12). `run` expects nvcc, cmake, ninja, g++, and a python3 with numpy, scipy,
# scikit-image, tifffile, tqdm, pytest, pybind11 and scikit-build-core (the GPU image has them);
# VOXTWIN_GPU_PYTHON names another interpreter. It writes at most 8 files to OUT: gpu_check.log
# (everything), env.txt, ctest.log, pytest.log, results_rows.csv (rows for benchmarks/results.csv)
# and bench.log. Any failure stops it with a non-zero exit; it prints no figure it did not measure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUNDLE=${VOXTWIN_GPU_BUNDLE:-$ROOT/.gpu_bundle}
DEBS="libeigen3-dev libfftw3-dev libfftw3-double3 libfftw3-single3 libfftw3-bin libgtest-dev"
# Wheels the GPU image already has (its own versions stay): not carried.
IMAGE_HAS="numpy packaging typing_extensions pyyaml PyYAML"
MAX_BUNDLE_MIB=60

die() { echo "gpu_check: FAILED: $*" >&2; exit 1; }

prepare() {
  command -v apt-get >/dev/null || die "apt-get not found (prepare runs on a Debian/Ubuntu machine)"
  rm -rf "$BUNDLE"
  mkdir -p "$BUNDLE/debs" "$BUNDLE/prefix" "$BUNDLE/wheels"
  echo "== Debian packages: $DEBS"
  (cd "$BUNDLE/debs" && apt-get download $DEBS) || die "apt-get download (run apt-get update first?)"
  for deb in "$BUNDLE"/debs/*.deb; do dpkg -x "$deb" "$BUNDLE/prefix"; done
  # FFTW's static libraries are never linked (the shared ones are): they would only fill the bundle.
  rm -rf "$BUNDLE/debs" "$BUNDLE/prefix/usr/share/doc" "$BUNDLE/prefix/usr/share/man" \
    "$BUNDLE"/prefix/usr/lib/x86_64-linux-gnu/libfftw3*.a
  echo "== wheels for CPython 3.12: zarr and its dependencies"
  python3 -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform any -d "$BUNDLE/wheels" "zarr>=3.0" || die "pip download"
  for name in $IMAGE_HAS; do rm -f "$BUNDLE/wheels/${name}"-[0-9]*.whl; done
  git rev-parse --short HEAD >"$BUNDLE/commit" 2>/dev/null || echo unknown >"$BUNDLE/commit"
  ls "$BUNDLE/wheels"
  local mib
  mib=$(du -sm "$BUNDLE" | cut -f1)
  echo "== $BUNDLE: ${mib} MiB (commit $(cat "$BUNDLE/commit"))"
  [ "$mib" -le "$MAX_BUNDLE_MIB" ] || die "bundle is ${mib} MiB, over ${MAX_BUNDLE_MIB} MiB"
}

# Build from the bundle: the system's own CMake packages and libraries are not searched, so a
# missing piece of the bundle fails here rather than on the GPU machine.
build() {
  local py=$1 site=$2
  local prefix="$BUNDLE/prefix/usr"
  [ -d "$prefix" ] || die "no $prefix: run 'bash scripts/gpu_check.sh prepare' first"
  export LD_LIBRARY_PATH="$prefix/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export PYTHONPATH="$site"
  echo "== wheels -> $site"
  rm -rf "$site" && mkdir -p "$site"
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" "$BUNDLE"/wheels/*.whl \
    || die "installing the bundled wheels"
  "$py" -c "import zarr, numpy, scipy, skimage, tifffile, tqdm, pytest, pybind11, scikit_build_core" \
    || die "the python3 lacks a package voxtwin needs (see above)"
  echo "== build (CUDA on, sm_90, C++ tests on) into $site"
  rm -rf build-gpu
  VOXTWIN_CUDA=ON CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) CMAKE_ARGS="-DCMAKE_CUDA_ARCHITECTURES=90 \
    -DVOXTWIN_BUILD_TESTS=ON -DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF -DCMAKE_PREFIX_PATH=$prefix \
    -DEigen3_DIR=$prefix/share/eigen3/cmake -Dpybind11_DIR=$("$py" -m pybind11 --cmakedir)" \
    "$py" -m pip install --no-build-isolation --no-deps --no-index --target "$site" \
    --config-settings=build-dir=build-gpu -v . >"$OUT/build.log" 2>&1 || { tail -60 "$OUT/build.log"; die "build"; }
  grep -E "backend|Eigen3|unit tests" "$OUT/build.log" || true
  grep -q "CUDA backend       : ON" "$OUT/build.log" || die "the CUDA backend was not built"
  grep -E "FFTW3 .*$BUNDLE|FFTW3 .*\.gpu_bundle" "$OUT/build.log" >/dev/null || die "FFTW3 did not come from the bundle"
  rm -f "$OUT/build.log"  # its summary is in gpu_check.log; OUT keeps few files
}

run() {
  OUT=$(mkdir -p "$1" && cd "$1" && pwd)
  local py=${VOXTWIN_GPU_PYTHON:-python3}
  local site=${VOXTWIN_GPU_SITE:-/tmp/voxtwin-gpu-site}
  exec > >(tee "$OUT/gpu_check.log") 2>&1
  export VOXTWIN_COMMIT
  VOXTWIN_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || cat "$BUNDLE/commit" 2>/dev/null || echo unknown)
  local t0=$SECONDS
  {
    echo "date: $(date -u +%FT%TZ)"
    echo "commit: $VOXTWIN_COMMIT"
    echo "host: $(uname -srm), $(nproc) cores"
    echo "python: $("$py" --version 2>&1) ($(command -v "$py"))"
    echo "nvcc: $(nvcc --version 2>&1 | tail -2 | tr '\n' ' ')"
    if command -v nvidia-smi >/dev/null; then
      nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv 2>&1
    else
      echo "nvidia-smi: not found"
    fi
  } | tee "$OUT/env.txt"
  command -v nvcc >/dev/null || die "nvcc not found"
  build "$py" "$site"
  local status
  status=$("$py" -c "import voxtwin; print(voxtwin.cuda_status())") || die "import voxtwin"
  echo "== voxtwin.cuda_status(): $status" | tee -a "$OUT/env.txt"
  case "$status" in usable*) ;; *) die "no GPU: $status (built and packaged from the bundle in $((SECONDS - t0)) s)" ;; esac

  echo "== ctest"
  ctest --test-dir build-gpu --output-on-failure -j 8 >"$OUT/ctest.log" 2>&1 || { tail -40 "$OUT/ctest.log"; die "ctest"; }
  tail -3 "$OUT/ctest.log"
  echo "== pytest -m gpu"
  "$py" -m pytest -m gpu -q -p no:cacheprovider tests >"$OUT/pytest.log" 2>&1 || { tail -40 "$OUT/pytest.log"; die "pytest -m gpu"; }
  tail -3 "$OUT/pytest.log"
  echo "== benchmarks"
  (cd benchmarks && "$py" bench_gpu.py --csv "$OUT/results_rows.csv") >"$OUT/bench.log" 2>&1 \
    || { tail -40 "$OUT/bench.log"; die "benchmarks"; }
  cat "$OUT/bench.log"
  echo "== done in $((SECONDS - t0)) s"
}

selftest() {
  # The run path here, in a clean environment: no PATH beyond the system's and nvcc's, no
  # PYTHONPATH, no virtual environment; the interpreter given by VOXTWIN_GPU_PYTHON (one like the
  # GPU image's: CPython 3.12 with its packages; VOXTWIN_CUFFT_ROOT may point at a cuFFT).
  local py=${VOXTWIN_GPU_PYTHON:?set VOXTWIN_GPU_PYTHON to a python3 with the GPU image packages}
  env -i HOME="$HOME" PATH="/usr/local/bin:/usr/bin:/bin:$(dirname "$(command -v nvcc)")" \
    VOXTWIN_GPU_PYTHON="$py" VOXTWIN_GPU_BUNDLE="$BUNDLE" ${VOXTWIN_CUFFT_ROOT:+VOXTWIN_CUFFT_ROOT="$VOXTWIN_CUFFT_ROOT"} \
    bash "$0" run "$1"
}

case "${1:-}" in
  prepare) prepare ;;
  run) [ -n "${2:-}" ] || die "usage: gpu_check.sh run OUT"; run "$2" ;;
  selftest) [ -n "${2:-}" ] || die "usage: gpu_check.sh selftest OUT"; selftest "$2" ;;
  *) echo "usage: bash scripts/gpu_check.sh prepare | run OUT | selftest OUT" >&2; exit 2 ;;
esac
