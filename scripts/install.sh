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
# Off-screen OpenGL for 3D pictures (pyvista/VTK through EGL with Mesa's software renderer; no display needed).
packages="$packages libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri"
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
# CUDA toolchain by what the driver runs: `nvidia-smi` prints the newest CUDA its driver supports.
# CUDA 13 needs an R580 driver. PyPI has CUDA 13's nvcc (nvidia-cuda-nvcc) but no CUDA 12 nvcc (the
# nvidia-cuda-nvcc-cu12 wheels carry ptxas alone), so a CUDA 12 build needs a CUDA 12 toolkit's nvcc.
driver_cuda=""
if command -v nvidia-smi >/dev/null 2>&1; then
  driver_cuda=$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9]*\)\..*/\1/p' | head -1)
fi
nvcc_major=""
if command -v nvcc >/dev/null 2>&1; then
  nvcc_major=$(nvcc --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p' | head -1)
fi
if [ -n "$driver_cuda" ] && [ "$driver_cuda" -lt 13 ]; then
  echo "== driver supports CUDA $driver_cuda.x (nvidia-smi): CUDA 12 build with nvidia-cufft-cu12"
  python -m pip install -q nvidia-cufft-cu12
  if [ "${nvcc_major:-99}" -gt "$driver_cuda" ]; then
    echo "!! nvcc ${nvcc_major:-not found} cannot build for this driver: install a CUDA $driver_cuda.x toolkit" \
         "(voxtwin.cuda_status() will say 'driver too old' otherwise)" >&2
  fi
elif [ -n "$nvcc_major" ] || [ -n "$driver_cuda" ]; then
  echo "== ${driver_cuda:+driver supports CUDA $driver_cuda.x (nvidia-smi): }CUDA 13 build with nvidia-cufft${nvcc_major:+ and nvcc $nvcc_major}"
  python -m pip install -q nvidia-cufft
  if [ -z "$nvcc_major" ]; then
    python -m pip install -q nvidia-cuda-nvcc
    CUDACXX=$(python -c "import nvidia, os; print(os.path.join(nvidia.__path__[0], 'cu13', 'bin', 'nvcc'))")
    export CUDACXX
  fi
else
  echo "== no nvcc and no NVIDIA driver: CPU backend only"
fi
extras="ai,viz,viz3d,mpi"
# dist (dask) lets the tests exercise the Dask path of the zarr writer.
[ "$with_tests" = 1 ] && extras="$extras,dist,test"
echo "== building voxtwin[$extras]"
# No build isolation: the build must see nvidia-cufft (for CUDA) from this environment.
python -m pip install -q --no-build-isolation ".[$extras]"
python -m voxtwin info
