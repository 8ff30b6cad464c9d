"""Mechanics of a small basalt/PLA fibre block: effective stiffness and CTE, the modulus rose and its
anisotropy A_E, and the local fields of stress-free thermal shrinkage (50 °C -> 25 °C) per phase.

    python examples/fibre_block_mechanics.py [--size 48] [--out fibre_block]

The block holds straight periodic fibres along X and along Y (a cross-ply), a stand-in until a
generated unit twin (vt.generate_fibres) is at hand. Figures are written when matplotlib is installed.
"""

from __future__ import annotations

import argparse

import numpy as np

import voxtwin as vt


def cross_ply(n: int, radius: float = 2.5, spacing: int = 8) -> np.ndarray:
    """uint8 labels: 0 PLA, 1 basalt; fibres along X in the lower half, along Y in the upper half (z)."""
    labels = np.zeros((n, n, n), np.uint8)
    c = np.arange(n) + 0.5
    centres = np.arange(spacing / 2, n, spacing)
    near = np.min(np.abs(c[:, None] - centres[None, :]), axis=1) ** 2  # squared distance to the nearest centre line
    lower = c < n / 2
    labels[:, :, :] = 0
    along_x = (near[None, :, None] + near[None, None, :] <= radius**2) & lower[None, None, :]
    along_y = (near[:, None, None] + near[None, None, :] <= radius**2) & ~lower[None, None, :]
    labels[np.broadcast_to(along_x, labels.shape) | np.broadcast_to(along_y, labels.shape)] = 1
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=48, help="voxels per edge")
    parser.add_argument("--out", default="fibre_block", help="prefix of the figure files")
    args = parser.parse_args()

    lib = vt.material_library()
    materials = {0: lib["pla"], 1: lib["basalt_fibre"]}
    labels = cross_ply(args.size)
    print(f"{args.size}^3 voxels of 4 µm, fibre fraction {labels.mean():.3f}, device {'cuda' if vt.cuda_available() else 'cpu'}")

    res = vt.homogenize(labels, materials, voxel_size=4.0, tol=1e-5)
    with np.printoptions(precision=3, suppress=True, linewidth=120):
        print("effective stiffness C (GPa):\n", res.C)
    print("effective CTE (1/K):", np.array2string(res.alpha, precision=3, floatmode="maxprec", suppress_small=False,
                                                  formatter={"float_kind": lambda v: f"{v:.3e}"}))
    print(f"iterations per load case {res.iterations}, {res.seconds:.2f} s")
    for plane in ("xy", "yz", "xz"):
        print(f"A_E in {plane}: {vt.analysis.anisotropy(res.C, plane):.3f}")

    sol = vt.solve(labels, materials, stress=[0] * 6, delta_T=-25.0, voxel_size=4.0)
    print("free thermal shrinkage, mean strain:", np.array2string(sol.mean_strain, precision=6))
    stats = sol.phase_stats()
    print(f"in-fibre sigma_xx: mean {stats[1]['stress']['mean'][0] * 1e3:.2f} MPa; "
          f"in-matrix eps_zz: mean {stats[0]['strain']['mean'][2]:.2e}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no figures (pip install 'voxtwin[viz]')")
        return
    ax = vt.analysis.plot_modulus_rose({"cross-ply": res.C, "PLA": lib["pla"].C}, "xy")
    ax.figure.savefig(f"{args.out}_rose.png", dpi=120)
    plt.close(ax.figure)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    vt.analysis.plot_field_slice(sol, "stress", "xx", axis="y", index=4, ax=axes[0])  # through a row of X fibres
    vt.analysis.plot_phase_histograms(sol, "stress", "xx", labels={0: "PLA", 1: "basalt"}, ax=axes[1])
    fig.tight_layout()
    fig.savefig(f"{args.out}_thermal.png", dpi=120)
    print(f"figures: {args.out}_rose.png, {args.out}_thermal.png")


if __name__ == "__main__":
    main()
