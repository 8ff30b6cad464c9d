"""Design: whatever calls the solver to label, fit or select sits here, at the top of the data flow.

``fit_surrogate`` grows specimens of frequency combinations ξ (``voxtwin.growth``), homogenizes
them with the FFT solver and fits ξ → C; ``GrowthSurrogate.design`` inverts it per region for a
graded target stiffness (seed 002).
"""

from .growth_surrogate import GrowthDesign, GrowthSurrogate, SolvedDesign, fit_surrogate, sample_simplex, solve_design

__all__ = ["GrowthDesign", "GrowthSurrogate", "SolvedDesign", "fit_surrogate", "sample_simplex", "solve_design"]
