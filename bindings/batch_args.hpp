#pragma once
// Conversions shared by the CPU and CUDA bindings of batched homogenization: the stack of cells
// (uint8 [count, nx, ny, nz]) and the options in, the result out as a dict. Glue only.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "array_checks.hpp"
#include "elasticity_args.hpp"
#include "voxtwin/batched_homogenization.hpp"

namespace voxtwin::bind {

namespace py = pybind11;

inline CellSymmetry symmetry_from(const std::string& name) {
  if (name == "none") return CellSymmetry::None;
  if (name == "cubic") return CellSymmetry::Cubic;
  throw py::value_error("`symmetry` must be 'none' or 'cubic', got symmetry='" + name + "'");
}

inline BatchOptions batch_options_from(const std::string& scheme, double tol, int max_iter,
                                       const Eigen::Vector3d& voxel_size, const std::string& symmetry) {
  BatchOptions o;
  static_cast<ElasticityOptions&>(o) = options_from(scheme, tol, max_iter, voxel_size, py::none());
  o.symmetry = symmetry_from(symmetry);
  return o;
}

/// The cells array: uint8, 4-dimensional, C-contiguous, non-empty.
inline py::array cells_in(const py::handle& cells) { return checked_array<std::uint8_t>(cells, "cells", 4); }

inline Shape3 cell_shape(const py::array& a) { return Shape3{a.shape(1), a.shape(2), a.shape(3)}; }

inline py::dict batch_dict(const BatchResult& r) {
  const py::ssize_t n = static_cast<py::ssize_t>(r.C.size());
  py::array_t<double> C({n, py::ssize_t(6), py::ssize_t(6)});
  auto c = C.mutable_unchecked<3>();
  for (py::ssize_t k = 0; k < n; ++k)
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) c(k, i, j) = r.C[k](i, j);
  py::dict d;
  d["C"] = C;
  d["iterations"] = py::array_t<int>(n, r.iterations.data());
  d["converged"] = py::array_t<std::uint8_t>(n, r.converged.data());
  d["invariant"] = py::array_t<std::uint8_t>(n, r.invariant.data());
  d["anisotropy"] = py::array_t<double>(n, r.anisotropy.data());
  d["seconds"] = r.seconds;
  d["memory_bytes"] = r.memory_bytes;
  return d;
}

}  // namespace voxtwin::bind
