"""voxtwin: voxel digital twins of fibre composites.

From a micro-CT scan through segmentation and fibre statistics to generated unit twins,
giga-voxel assemblies and FFT-based elasticity (seed paper: Yu et al., Adv. Mater. 2025).

Conventions: arrays are C-contiguous ``vol[x, y, z]``; lengths in µm (``voxel_size`` in µm
per voxel); moduli and stresses in GPa; CTE in 1/K; phase labels uint8 (0 matrix, 1 fibre,
2 void); Voigt order xx, yy, zz, yz, xz, xy with engineering shear strains.
"""

from __future__ import annotations

from pathlib import Path

from . import _core, analysis, io, orientation, segment, simulate
from ._backend import backend_info, cuda_available, cuda_status, get_num_threads, set_num_threads
from .characterize import FibreStatistics, characterize
from .composite import CompositeVoxels, composite_voxels, laminate, majority_vote
from .fibre_composite import (
    fibre_composite_chunks,
    fibre_composite_index,
    fibre_composite_voxels,
    merge_composite_chunks,
)
from .distributions import Empirical, Fixed, LogNormal, Normal
from .errors import (
    BackendUnavailableError,
    ContrastWarning,
    ConvergenceError,
    CUDAError,
    CudaUnusableWarning,
    FileFormatError,
    MissingFileError,
    InsufficientMemoryError,
    NormalResolutionWarning,
    PlacementError,
    PlacementWarning,
    ThinFeatureWarning,
    VoxtwinError,
    VoxtwinWarning,
)
from .feedback import ClosedLoop, Similarity, anova, closed_loop, similarity
from .fibre_table import FibreTable
from .generate import (
    FIBRE_LABEL,
    FibreRaster,
    FibreSpec,
    Placement,
    UnitTwin,
    building_blocks,
    generate_fibres,
    matrix_space,
    overlapping_fibres,
    place_fibres,
    rasterize_fibres,
    seed000_spec,
)
from .materials import VOID, Anisotropic, Isotropic, Material, TransverselyIsotropic, Void, material_library
from .phases import phase_counts, phase_fractions
from .assemble import Assembly, AssemblyWarning, BlockLibrary, Module, stacking
from .fibre_composite_assembly import fibre_composite_assembly
from . import gcode
from .simulate import Homogenization, Solution, homogenize, solve
from .simulate_batch import CellBatch, homogenize_cells
from . import simulate_mpi  # zarr stores slab by slab under mpirun (imports no MPI by itself)
from . import pipeline
from . import metrics, stochastic
from . import reconstruct  # torch is imported only when a model is built (the ai extra)
from . import growth
from . import design
from . import render3d  # 3D pictures; pyvista is imported only when drawing

__version__: str = _core.__version__


def get_cmake_dir() -> str:
    """Folder holding ``voxtwinConfig.cmake``: pass it as ``voxtwin_DIR`` to CMake.

    ``cmake -Dvoxtwin_DIR=$(python -c "import voxtwin; print(voxtwin.get_cmake_dir())") ...``
    """
    path = Path(__file__).resolve().parent / "lib" / "cmake" / "voxtwin"
    if not (path / "voxtwinConfig.cmake").is_file():
        raise FileNotFoundError(f"voxtwinConfig.cmake not found under {path}: is voxtwin installed from a wheel?")
    return str(path)


__all__ = [
    "__version__",
    "io",
    "metrics",
    "stochastic",
    "reconstruct",
    "segment",
    "cuda_available",
    "cuda_status",
    "CudaUnusableWarning",
    "backend_info",
    "get_cmake_dir",
    "get_num_threads",
    "set_num_threads",
    "homogenize_cells",
    "CellBatch",
    "Material",
    "Isotropic",
    "TransverselyIsotropic",
    "Anisotropic",
    "Void",
    "VOID",
    "material_library",
    "phase_counts",
    "phase_fractions",
    "Normal",
    "LogNormal",
    "Fixed",
    "Empirical",
    "orientation",
    "FibreSpec",
    "FibreTable",
    "Placement",
    "FibreRaster",
    "UnitTwin",
    "FIBRE_LABEL",
    "place_fibres",
    "rasterize_fibres",
    "generate_fibres",
    "overlapping_fibres",
    "matrix_space",
    "seed000_spec",
    "building_blocks",
    "characterize",
    "FibreStatistics",
    "similarity",
    "Similarity",
    "anova",
    "closed_loop",
    "ClosedLoop",
    "composite_voxels",
    "fibre_composite_voxels",
    "fibre_composite_chunks",
    "fibre_composite_index",
    "fibre_composite_assembly",
    "merge_composite_chunks",
    "CompositeVoxels",
    "majority_vote",
    "laminate",
    "homogenize",
    "solve",
    "Homogenization",
    "Solution",
    "simulate",
    "simulate_mpi",
    "analysis",
    "VoxtwinError",
    "BackendUnavailableError",
    "CUDAError",
    "InsufficientMemoryError",
    "ConvergenceError",
    "FileFormatError",
    "MissingFileError",
    "ContrastWarning",
    "BlockLibrary",
    "Assembly",
    "AssemblyWarning",
    "Module",
    "stacking",
    "gcode",
    "pipeline",
    "growth",
    "design",
    "PlacementError",
    "PlacementWarning",
    "VoxtwinWarning",
    "ThinFeatureWarning",
    "NormalResolutionWarning",
]

from .errors import DistributionWarning, SegmentationWarning  # noqa: E402  (issue 14)

__all__ += ["DistributionWarning", "SegmentationWarning"]
