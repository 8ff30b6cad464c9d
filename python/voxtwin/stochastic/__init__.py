"""Random-field twins (seed 001): Gaussian and chi^2 random fields synthesized by FFT in C++
(periodic, seeded, slab by slab with the bytes of the whole), their excursion sets with one or two
thresholds or two fields, and calibration from 2D images of orthogonal planes (:func:`calibrate`).

Generated phases combine with the fibre generator: e.g. pores from a calibrated model, then
``vt.generate_fibres(spec, ..., mask=labels == 0)`` places fibres in the remaining matrix.
"""

from __future__ import annotations

from .calibrate import SYMMETRIES, calibrate, observed_s2
from .calibrate_three import KINDS, calibrate_three_phase
from .excursion import band_s2, bivariate_normal_cdf, chi2_s2, chi2_threshold, gaussian_s2, gaussian_threshold, squared_exponential
from .fields import chi2_field, gaussian_field
from .models import FIELDS, ExcursionModel, ThreePhaseModel

__all__ = [
    "calibrate",
    "calibrate_three_phase",
    "KINDS",
    "band_s2",
    "bivariate_normal_cdf",
    "observed_s2",
    "SYMMETRIES",
    "FIELDS",
    "ExcursionModel",
    "ThreePhaseModel",
    "gaussian_field",
    "chi2_field",
    "gaussian_s2",
    "chi2_s2",
    "gaussian_threshold",
    "chi2_threshold",
    "squared_exponential",
]
