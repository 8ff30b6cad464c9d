#!/usr/bin/env bash
# CI step "wheel": the redistributable wheel as a user gets it. Builds it (scripts/build_wheel.sh,
# CPU backend: VOXTWIN_CUDA=OFF is enough to prove the packaging), installs it into a fresh virtual
# environment on a clean path, then, with no build tools on PATH and the system FFTW made
# unreadable to the loader (bind-mounted /dev/null in a private mount namespace), checks that
# `ldd` resolves FFTW inside the wheel and runs a smoke test: generate, homogenize a small block,
# write OME-Zarr stores. Last, the wheel's CMake package builds and runs examples/embed_cpp.
#   bash scripts/wheel_smoke.sh [WHEEL]     # WHEEL: skip the build and test this wheel
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

if [ $# -ge 1 ]; then wheel="$(readlink -f "$1")"; else
  VOXTWIN_CUDA=OFF bash scripts/build_wheel.sh
  wheel="$(readlink -f "$(ls -t dist/voxtwin-*manylinux*.whl | head -1)")"
fi
case "$(basename "$wheel")" in *manylinux*) ;; *) echo "not a manylinux wheel: $wheel" >&2; exit 1 ;; esac

work="$(mktemp -d /tmp/voxtwin-wheel.XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "== fresh venv in $work (no system site-packages)"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$wheel"

# Only what the checks need on PATH: no compiler, no cmake, no pkg-config.
mkdir "$work/bin"
for tool in sh bash ldd grep sed cat env dirname; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done
clean_path="$work/venv/bin:$work/bin"

# The system FFTW is made unreadable inside the check (root and unshare needed, as in CI).
hide=""
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare --mount true 2>/dev/null; then
  hide='for f in /usr/lib/*/libfftw3*.so* /usr/lib/libfftw3*.so* /lib/*/libfftw3*.so*; do
          [ -f "$f" ] && [ ! -L "$f" ] && mount --bind /dev/null "$f"; done 2>/dev/null; '
  runner=(unshare --mount --propagation private)
else
  echo "WARNING: not root or no unshare: the system FFTW stays visible; ldd still must resolve FFTW in the wheel" >&2
  runner=()
fi

cat >"$work/smoke.py" <<'PY'
import pathlib, sys, tempfile
import numpy as np
import voxtwin as vt

assert "site-packages" in vt.__file__, vt.__file__
spec = vt.FibreSpec(0.15, 4.0, 14.0, vt.orientation.Aligned((1, 0, 0), 5.0))
twin = vt.generate_fibres(spec, (24, 24, 24), 1.0, seed=3, device="cpu", progress=False)
lib = vt.material_library()
res = vt.homogenize(twin.labels, {0: lib["pla"], 1: lib["basalt_fibre"]}, voxel_size=1.0, tol=1e-5, device="cpu",
                    progress=False)
assert res.converged and res.C[0, 0] > 1.2 * res.C[1, 1], res.C  # fibres along x stiffen x
maps = pathlib.Path("/proc/self/maps").read_text()
fftw = sorted({line.split()[-1] for line in maps.splitlines() if "libfftw3" in line})
assert fftw and all("site-packages" in p for p in fftw), fftw
out = pathlib.Path(tempfile.mkdtemp())
vt.io.write(out / "twin.zarr", twin.labels, voxel_size=1.0)
back = vt.io.read(out / "twin.zarr")
assert np.array_equal(back.data, twin.labels) and back.voxel_size == 1.0
small = vt.FibreSpec(0.08, 3.0, 8.0, vt.orientation.Aligned((1, 0, 0), 5.0))  # fits 16-voxel blocks
blocks = vt.BlockLibrary.from_spec(small, angles=(0, 90), block_shape=(16, 16, 16), voxel_size=1.0)
asm = vt.Assembly.stacked(blocks, sequence=[0, 90], layer_shape=(2, 2), axis="z")
store = asm.to_zarr(out / "asm.zarr", chunks=(16, 16, 16), progress=False)
assert store.attrs["ome"]["multiscales"][0]["axes"][0]["unit"] == "micrometer"
assert np.array_equal(vt.io.read(out / "asm.zarr").data, asm.to_numpy())
print(f"smoke test passed: C11={res.C[0, 0]:.3f} GPa, FFTW from {fftw[0]}")
PY

hidden=no; [ -n "$hide" ] && hidden=yes
echo "== ldd and smoke test (PATH=$clean_path, system FFTW hidden: $hidden)"
"${runner[@]}" env -i HOME="$work" PATH="$clean_path" bash -c "$hide"'
  set -euo pipefail
  command -v cc c++ gcc cmake >/dev/null 2>&1 && { echo "build tools on PATH" >&2; exit 1; }
  ext=$(python -c "import importlib.util as u; print(u.find_spec(\"voxtwin._core\").origin)")
  site=$(dirname "$(dirname "$ext")")
  ldd "$ext" | grep -E "fftw|voxtwin|gomp" | sed "s|^|    |"
  if ldd "$ext" | grep -q "not found"; then ldd "$ext" >&2; exit 1; fi
  # auditwheel renames vendored libraries (libfftw3-<hash>.so...): all four FFTWs must come from the wheel.
  for lib in libfftw3 libfftw3f libfftw3_threads libfftw3f_threads; do
    ldd "$ext" | grep -E "^\s*$lib[-.]" | grep -q "=> $site/" || { echo "$lib not resolved inside the wheel" >&2; exit 1; }
  done
  cd "'"$work"'" && python smoke.py'

echo "== find_package(voxtwin) from the wheel: examples/embed_cpp"
cmake_dir="$("$work/venv/bin/python" -c 'import voxtwin; print(voxtwin.get_cmake_dir())')"
cmake -S "$repo/examples/embed_cpp" -B "$work/embed" -G Ninja -Dvoxtwin_DIR="$cmake_dir" >/dev/null
cmake --build "$work/embed" >/dev/null
"${runner[@]}" bash -c "$hide \"$work/embed/embed_voxtwin\"" | tail -3
echo "== wheel OK: $(basename "$wheel")"
