#pragma once
// One bind_* function per binding file of voxtwin._core; module.cpp calls them all.
#include <pybind11/pybind11.h>

namespace voxtwin::bind {
void bind_materials(pybind11::module_& m);
void bind_phase_counts(pybind11::module_& m);
void bind_parallel(pybind11::module_& m);
void bind_paste(pybind11::module_& m);
void bind_fibres(pybind11::module_& m);
void bind_elasticity(pybind11::module_& m);
void bind_laminate(pybind11::module_& m);
void bind_composite_voxels(pybind11::module_& m);
void bind_fibre_composite(pybind11::module_& m);
void bind_growth(pybind11::module_& m);
void bind_two_point(pybind11::module_& m);
void bind_run_lengths(pybind11::module_& m);
void bind_euler_characteristic(pybind11::module_& m);
void bind_gaussian_field(pybind11::module_& m);
void bind_batched_homogenization(pybind11::module_& m);
void bind_cluster_correlation(pybind11::module_& m);
}  // namespace voxtwin::bind
