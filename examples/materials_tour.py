"""A tour of the materials library: stiffness matrices, a rotated fibre, and phase fractions.

    python examples/materials_tour.py
"""

from __future__ import annotations

import numpy as np

import voxtwin as vt


def main() -> None:
    info = vt.backend_info()
    print(f"voxtwin {vt.__version__}: CPU threads {info['cpu_threads']}, CUDA available: {info['cuda_available']}")
    lib = vt.material_library()
    print("\nmaterial library (E in GPa, CTE in 1/K, density in g/cm3):")
    for name, mat in lib.items():
        if mat.is_void:
            print(f"  {name:<18} void (zero stiffness)")
            continue
        E_x = 1.0 / mat.S[0, 0]
        print(f"  {name:<18} E_x = {E_x:8.2f}  CTE_x = {mat.alpha[0]:+.2e}  density = {mat.density:.2f}")

    t300 = lib["carbon_fibre_t300"]
    print("\nT300 fibre turned from X to 45 deg in the XY plane: C (GPa)")
    with np.printoptions(precision=2, suppress=True, linewidth=120):
        print(t300.with_axis((1, 1, 0)).C)

    labels = np.zeros((40, 40, 40), dtype=np.uint8)
    labels[:, 16:24, :] = 1  # a fibre-rich slab
    labels[:4, :4, :4] = 2  # a pore
    print("\nphase fractions of a 40^3 test volume:", {k: round(v, 4) for k, v in vt.phase_fractions(labels).items()})


if __name__ == "__main__":
    main()
