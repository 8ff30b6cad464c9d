#pragma once
// One bind_* function per binding file of voxtwin._cuda; module.cpp calls them all.
#include <pybind11/pybind11.h>

namespace voxtwin::bind {
void bind_cuda_device(pybind11::module_& m);
void bind_cuda_phase_counts(pybind11::module_& m);
void bind_cuda_fibres(pybind11::module_& m);
void bind_cuda_elasticity(pybind11::module_& m);
void bind_cuda_composite_voxels(pybind11::module_& m);
void bind_cuda_fibre_composite(pybind11::module_& m);
void bind_cuda_two_point(pybind11::module_& m);
void bind_cuda_batched_homogenization(pybind11::module_& m);
void bind_cuda_gaussian_field(pybind11::module_& m);
}  // namespace voxtwin::bind
