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
# FFTW, GoogleTest, and Open MPI with FFTW-MPI for the MPI solver, relocated through OPAL_PREFIX)
# and Python wheels (pip download: zarr and what it needs beyond the GPU image, and mpi4py, for
# CPython 3.12). `run` expects nvcc, cmake, ninja, g++, and a python3 with numpy, scipy,
# scikit-image, tifffile, tqdm, pytest, pybind11 and scikit-build-core (the GPU image has them);
# VOXTWIN_GPU_PYTHON names another interpreter.
#
# `run` is time-boxed: the whole run stops by VOXTWIN_GPU_BUDGET_S seconds (default 480, inside the
# machine's 9 minutes), and every step has its own limit (`timeout`), cut to what the budget has left.
# Each step's outcome goes to OUT/steps.tsv as it ends (step, exit status or TIMEOUT, seconds) and
# every benchmark row to OUT/results_rows.csv as it is measured, so a run cut short keeps what it
# measured. A failed or timed-out step does not stop the later ones (the build and the GPU probe
# do); the run then ends with exit status 1 and names them. It writes at most 7 files to OUT:
# gpu_check.log (everything), env.txt, steps.tsv, ctest.log, pytest.log, results_rows.csv, bench.log.
# It prints no figure it did not measure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUNDLE=${VOXTWIN_GPU_BUNDLE:-$ROOT/.gpu_bundle}
DEBS="libeigen3-dev libfftw3-dev libfftw3-double3 libfftw3-single3 libfftw3-bin libgtest-dev
  openmpi-bin openmpi-common libopenmpi3 libopenmpi-dev libfftw3-mpi3 libfftw3-mpi-dev libpmix2 libhwloc15
  libevent-2.1-7 libevent-core-2.1-7 libevent-pthreads-2.1-7 libucx0 libfabric1 libibverbs1 librdmacm1
  libpsm2-2 libpsm-infinipath1 libnl-3-200 libnl-route-3-200 libmunge2"
# Wheels the GPU image already has (its own versions stay): not carried.
IMAGE_HAS="numpy packaging typing_extensions pyyaml PyYAML"
MAX_BUNDLE_MIB=60
BUDGET_S=${VOXTWIN_GPU_BUDGET_S:-480}
BUILD_S=${VOXTWIN_GPU_BUILD_S:-300}  # the build's own limit (16 cores); the 2-core self-test needs more
MPI_RANKS="1 2 4 8"

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
    "$BUNDLE"/prefix/usr/lib/x86_64-linux-gnu/libfftw3*.a "$BUNDLE"/prefix/usr/share/openmpi/doc \
    "$BUNDLE"/prefix/usr/lib/x86_64-linux-gnu/fortran "$BUNDLE"/prefix/usr/lib/x86_64-linux-gnu/libmpi_mpifh* \
    "$BUNDLE"/prefix/usr/lib/x86_64-linux-gnu/libmpi_usempi* "$BUNDLE"/prefix/usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi_mpifh* \
    "$BUNDLE"/prefix/usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi_usempi*  # Open MPI's Fortran: unused
  # Debian names the launchers through alternatives (not in the packages): the plain names here.
  local bin="$BUNDLE/prefix/usr/bin"
  ln -sf orterun "$bin/mpirun" && ln -sf orterun "$bin/mpiexec"
  ln -sf opal_wrapper "$bin/mpicxx" && ln -sf opal_wrapper "$bin/mpicc"
  echo "== wheels for CPython 3.12: zarr and its dependencies, mpi4py"
  python3 -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform any -d "$BUNDLE/wheels" "zarr>=3.0" "mpi4py>=4.0" || die "pip download"
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
  grep -E "backend|Eigen3|unit tests|MPI solver" "$OUT/build.log" || true
  grep -q "CUDA backend       : ON" "$OUT/build.log" || die "the CUDA backend was not built"
  grep -E "FFTW3 .*$BUNDLE|FFTW3 .*\.gpu_bundle" "$OUT/build.log" >/dev/null || die "FFTW3 did not come from the bundle"
  rm -f "$OUT/build.log"  # its summary is in gpu_check.log; OUT keeps few files
}

# The bundle's Open MPI, relocated (OPAL_PREFIX), first on PATH; launches may run as root.
mpi_env() {
  local prefix="$BUNDLE/prefix/usr"
  export OPAL_PREFIX="$prefix"
  export PATH="$prefix/bin:$PATH"
  export LD_LIBRARY_PATH="$prefix/lib/x86_64-linux-gnu/openmpi/lib:$prefix/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
}

# step NAME LIMIT_S LOG COMMAND...: runs COMMAND (a program or one of this script's functions) under
# `timeout`, which ends its whole process group; output to LOG ("-": this log). The limit is cut to
# the budget left (minus 10 s to write up). Records the outcome in steps.tsv at once and returns
# the command's status (124 on timeout).
step() {
  local name=$1 limit=$2 log=$3
  shift 3
  local left=$((DEADLINE - SECONDS - 10))
  if [ "$left" -lt 5 ]; then
    printf '%s\tSKIPPED (budget spent)\t0\n' "$name" >>"$OUT/steps.tsv"
    echo "== $name: skipped, the ${BUDGET_S} s budget is spent"
    FAILED="$FAILED $name"
    return 1
  fi
  [ "$limit" -le "$left" ] || limit=$left
  echo "== $name (limit ${limit} s)"
  local cmd=("$@")
  if declare -F "$1" >/dev/null; then  # a function: in a child bash that knows this script's functions
    cmd=(bash -c "set -euo pipefail; $(declare -f build die mpi_smoke); \"\$@\"" _ "$@")
  fi
  local t0=$SECONDS rc=0
  if [ "$log" = "-" ]; then
    timeout --kill-after=5 "$limit" "${cmd[@]}" || rc=$?
  else
    timeout --kill-after=5 "$limit" "${cmd[@]}" >>"$log" 2>&1 || rc=$?
  fi
  local status=$rc
  [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || status="TIMEOUT after ${limit} s"
  printf '%s\t%s\t%s\n' "$name" "$status" "$((SECONDS - t0))" >>"$OUT/steps.tsv"
  if [ "$rc" -ne 0 ]; then
    echo "== $name: FAILED ($status)"
    FAILED="$FAILED $name"
  fi
  return "$rc"
}

# A small store homogenized by 2 ranks of the bundle's MPI and by the serial solver (1e-10): the
# MPI stack works before the GPU is looked at (so the self-test here checks it too).
mpi_smoke() {
  local py=$1 dir
  dir=$(mktemp -d)
  cat >"$dir/serial.py" <<'PY'
import sys, numpy as np, zarr, voxtwin as vt
from voxtwin import simulate_mpi
if not simulate_mpi.mpi_built():
    sys.exit("the MPI solver was not built (see 'MPI solver' in the configure summary)")
lib = vt.material_library()
labels = (np.random.default_rng(3).random((12, 10, 8)) < 0.3).astype(np.uint8)
zarr.create_array(sys.argv[1] + "/labels.zarr", data=labels, chunks=(4, 10, 8))
C = vt.homogenize(labels, {0: lib["pla"], 1: lib["basalt_fibre"]}, device="cpu", tol=1e-8, progress=False).C
np.save(sys.argv[1] + "/serial.npy", C)
PY
  cat >"$dir/ranks.py" <<'PY'
import sys, numpy as np, voxtwin as vt
from mpi4py import MPI
lib = vt.material_library()
C = vt.homogenize(sys.argv[1] + "/labels.zarr", {0: lib["pla"], 1: lib["basalt_fibre"]}, tol=1e-8, progress=False).C
ref = np.load(sys.argv[1] + "/serial.npy")
err = float(np.max(np.abs(C - ref)) / np.max(np.abs(ref)))
if MPI.COMM_WORLD.Get_rank() == 0:
    print(f"MPI smoke ({MPI.Get_library_version().splitlines()[0]}): 2 ranks vs serial, C relative difference {err:.1e}")
sys.exit(0 if err < 1e-10 else 1)
PY
  echo "mpirun: $(command -v mpirun)"
  "$py" "$dir/serial.py" "$dir" || return 1
  OMP_NUM_THREADS=1 mpirun --oversubscribe --bind-to none -n 2 "$py" "$dir/ranks.py" "$dir" || return 1
  rm -rf "$dir"
}

run() {
  OUT=$(mkdir -p "$1" && cd "$1" && pwd)
  local py=${VOXTWIN_GPU_PYTHON:-python3}
  local site=${VOXTWIN_GPU_SITE:-/tmp/voxtwin-gpu-site}
  exec > >(tee "$OUT/gpu_check.log") 2>&1
  DEADLINE=$((SECONDS + BUDGET_S))
  FAILED=""
  : >"$OUT/steps.tsv"
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
    echo "budget: ${BUDGET_S} s"
  } | tee "$OUT/env.txt"
  command -v nvcc >/dev/null || die "nvcc not found"
  mpi_env
  export BUNDLE OUT
  export LD_LIBRARY_PATH="$BUNDLE/prefix/usr/lib/x86_64-linux-gnu:$LD_LIBRARY_PATH"
  export PYTHONPATH="$site"
  step build "$BUILD_S" - build "$py" "$site" || die "build (see above)"
  grep -E "MPI solver" "$OUT/gpu_check.log" | head -1 >>"$OUT/env.txt" || true
  step mpi_smoke 60 - mpi_smoke "$py" || true
  local status
  status=$("$py" -c "import voxtwin; print(voxtwin.cuda_status())") || die "import voxtwin"
  echo "== voxtwin.cuda_status(): $status" | tee -a "$OUT/env.txt"
  case "$status" in usable*) ;; *) die "no GPU: $status (built and packaged from the bundle in $((SECONDS - t0)) s; steps: $(tr '\t\n' ' ;' <"$OUT/steps.tsv"))" ;; esac

  local bench=(env PYTHONPATH="$site" "$py" benchmarks/bench_gpu.py --csv "$OUT/results_rows.csv" --cache /tmp/voxtwin-gpu-cache)
  # The cheap, decisive figure first: cuFFT's work area against the B/voxel budget.
  step fft_work 30 "$OUT/bench.log" "${bench[@]}" --only fft_work || true
  grep "cuFFT work area" "$OUT/bench.log" || true
  step ctest 60 "$OUT/ctest.log" ctest --test-dir build-gpu --output-on-failure -j 8 || tail -40 "$OUT/ctest.log"
  tail -3 "$OUT/ctest.log"
  step pytest_gpu 100 "$OUT/pytest.log" "$py" -m pytest -m gpu -q -p no:cacheprovider tests || tail -40 "$OUT/pytest.log"
  tail -3 "$OUT/pytest.log"
  step bench_raster 60 "$OUT/bench.log" "${bench[@]}" --only raster || true
  for n in 256 512 1024; do
    local limit=40
    [ "$n" -ne 512 ] || limit=80  # 512^3 twice: default (x kept) and the 3-vector minimum
    [ "$n" -ne 1024 ] || limit=120
    step "bench_homogenize_$n" "$limit" "$OUT/bench.log" "${bench[@]}" --only homogenize --sizes "$n" || true
  done
  step bench_composite 40 "$OUT/bench.log" "${bench[@]}" --only composite --sizes 512 1024 || true
  step bench_cpu_threads 90 "$OUT/bench.log" "${bench[@]}" --only threads --sizes 256 --iterations 8 || true
  # The MPI solver on this machine's cores (issue 22's scaling): strong 128^3 and weak 64^3 per rank.
  # shellcheck disable=SC2086
  step bench_mpi 120 "$OUT/bench.log" env PYTHONPATH="$site" "$py" benchmarks/bench_mpi.py --strong 128 --weak 64 \
    --ranks $MPI_RANKS --serial-threads 1 8 --csv "$OUT/results_rows.csv" || true
  cat "$OUT/bench.log"
  echo "== steps (name, status, seconds):"
  cat "$OUT/steps.tsv"
  [ -z "$FAILED" ] || die "failed or cut short:$FAILED (total $((SECONDS - t0)) s)"
  echo "== done in $((SECONDS - t0)) s"
}

selftest() {
  # The run path here, in a clean environment: no PATH beyond the system's and nvcc's, no
  # PYTHONPATH, no virtual environment; the interpreter given by VOXTWIN_GPU_PYTHON (one like the
  # GPU image's: CPython 3.12 with its packages; VOXTWIN_CUFFT_ROOT may point at a cuFFT).
  local py=${VOXTWIN_GPU_PYTHON:?set VOXTWIN_GPU_PYTHON to a python3 with the GPU image packages}
  env -i HOME="$HOME" PATH="/usr/local/bin:/usr/bin:/bin:$(dirname "$(command -v nvcc)")" \
    VOXTWIN_GPU_PYTHON="$py" VOXTWIN_GPU_BUNDLE="$BUNDLE" ${VOXTWIN_CUFFT_ROOT:+VOXTWIN_CUFFT_ROOT="$VOXTWIN_CUFFT_ROOT"} \
    ${VOXTWIN_GPU_BUDGET_S:+VOXTWIN_GPU_BUDGET_S="$VOXTWIN_GPU_BUDGET_S"} ${VOXTWIN_GPU_BUILD_S:+VOXTWIN_GPU_BUILD_S="$VOXTWIN_GPU_BUILD_S"} \
    bash "$0" run "$1"
}

case "${1:-}" in
  prepare) prepare ;;
  run) [ -n "${2:-}" ] || die "usage: gpu_check.sh run OUT"; run "$2" ;;
  selftest) [ -n "${2:-}" ] || die "usage: gpu_check.sh selftest OUT"; selftest "$2" ;;
  *) echo "usage: bash scripts/gpu_check.sh prepare | run OUT | selftest OUT" >&2; exit 2 ;;
esac
