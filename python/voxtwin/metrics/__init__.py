"""Microstructure descriptors (seed 003's checks): two-point correlation S2 per axis and radially
(auto and cross), lineal path, chord-length distributions, the two-point cluster function C2, Euler characteristic and cluster
densities, and :func:`compare` of two structures per metric and axis.

Heavy parts (FFT pair counts, run-length scans, the 2x2x2 Euler table) run in the C++ core; every
function takes 2D images or 3D volumes of uint8 labels indexed ``[x, y, z]`` and a ``voxel_size``
in µm, and returns small dataclasses with ``.plot()``.
"""

from __future__ import annotations

from ._profile import AxisProfiles
from .chords import chords
from .cluster_function import cluster_function
from .compare import METRICS, MetricComparison, compare, profile_error, s2_error, s2_similarity
from .lineal_path import lineal_path
from .topology import Topology, cluster_count, euler_characteristic, topology
from .two_point import two_point

__all__ = [
    "AxisProfiles",
    "two_point",
    "lineal_path",
    "chords",
    "cluster_function",
    "Topology",
    "topology",
    "euler_characteristic",
    "cluster_count",
    "MetricComparison",
    "compare",
    "profile_error",
    "s2_error",
    "s2_similarity",
    "METRICS",
]
