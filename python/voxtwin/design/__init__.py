"""Design: whatever calls the solver to label, fit or select sits here, at the top of the data flow.

``fit_surrogate`` grows specimens of frequency combinations ξ (``voxtwin.growth``), homogenizes
them with the batched FFT solver and fits ξ → C (a GP by default, or the seed's MLP,
``MLPRegressor``); ``GrowthSurrogate.design`` inverts it per region for a
graded target stiffness (seed 002).

Inverse design by guided diffusion (seed 004): ``dataset`` builds and labels cubic cells (batched
solver, ``voxtwin.homogenize_cells``), ``StiffnessDiffusion`` learns cells conditioned on C11, C12,
C44 and the volume fraction, ``select`` homogenizes generated candidates, drops disconnected ones
and keeps the best, ``refine`` runs one generate–filter–retrain round; ``errors`` gives seed 004's
eq. 18 and the relative error per constant, ``nearest_neighbour`` the retrieval control;
``remove_islands`` repairs cells with floating solid, ``bridge_hinges`` pieces that touch only
at an edge or a corner; ``local_search`` improves on retrieval by
solver-selected model edits (``edit_proposals``, SDEdit) or random flips (``flip_proposals``, the
no-model control). torch is
imported only when a diffusion model is built or trained.
"""

from .cell_dataset import CONSTANTS, CellDataset, dataset, default_materials, excursion_octants, label
from .cubic import bridge_hinges, cubic_cell, is_connected, octant, permutation_average, remove_islands
from .diffusion import CONDITIONS, DiffusionConfig, StiffnessDiffusion
from .growth_surrogate import GrowthDesign, GrowthSurrogate, SolvedDesign, fit_surrogate, sample_simplex, solve_design
from .local_search import SearchResult, edit_proposals, flip_proposals, local_search
from .mlp_regressor import MLPRegressor
from .selection import Errors, Selection, errors, nearest_neighbour, refine, select

__all__ = [
    "GrowthDesign", "GrowthSurrogate", "SolvedDesign", "fit_surrogate", "sample_simplex", "solve_design",
    "MLPRegressor",
    "CONSTANTS", "CONDITIONS", "CellDataset", "dataset", "label", "default_materials", "excursion_octants",
    "bridge_hinges", "cubic_cell", "is_connected", "octant", "permutation_average", "remove_islands",
    "DiffusionConfig", "StiffnessDiffusion",
    "Errors", "Selection", "errors", "select", "nearest_neighbour", "refine",
    "SearchResult", "local_search", "edit_proposals", "flip_proposals",
]
