#!/usr/bin/env bash
# Installs voxtwin and what it needs on a fresh Debian/Ubuntu machine, into ./.venv
# (or the active virtual environment).
#   bash scripts/install.sh          # the library, CLI, AI segmentation (torch CPU) and plots
#   bash scripts/install.sh --test   # also GoogleTest and the test tools
# Where nvcc exists, cuFFT comes from the nvidia-cufft wheel and the CUDA backend is built too.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
packages="build-essential cmake ninja-build pkg-config git libeigen3-dev libfftw3-dev python3-dev python3-venv python3-pip"
# The MPI solver (voxtwin._mpi, the `mpi` extra): Open MPI and FFTW's MPI libraries.
packages="$packages libopenmpi-dev openmpi-bin libfftw3-mpi-dev"
[ "$with_tests" = 1 ] && packages="$packages libgtest-dev"
if command -v apt-get >/dev/null 2>&1; then
  echo "== system packages: $packages"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $packages >/dev/null
else
  echo "apt-get not found: install $packages with your package manager" >&2
fi

source scripts/_env.sh
echo "== python: $(command -v python) ($(python --version))"
python -m pip install -q --upgrade pip
# torch first, pinned: a bare `torch` requirement pulls several GB of CUDA packages.
python -m pip install -q "torch==2.13.0"
python -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" "cmake>=3.24" ninja
if command -v nvcc >/dev/null 2>&1; then
  echo "== nvcc found: installing cuFFT (nvidia-cufft) to build the CUDA backend"
  python -m pip install -q nvidia-cufft
fi
extras="ai,viz,mpi"
# dist (dask) lets the tests exercise the Dask path of the zarr writer.
[ "$with_tests" = 1 ] && extras="$extras,dist,test"
echo "== building voxtwin[$extras]"
# No build isolation: the build must see nvidia-cufft (for CUDA) from this environment.
python -m pip install -q --no-build-isolation ".[$extras]"
python -m voxtwin info
