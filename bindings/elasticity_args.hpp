#pragma once
// Conversions shared by the CPU and CUDA elasticity bindings: numpy arguments -> the C++ solver's
// table, loading and options; its result -> a dict. Glue only: every check of meaning is in C++.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "array_checks.hpp"
#include "voxtwin/elasticity.hpp"

namespace voxtwin::bind {

namespace py = pybind11;

inline MaterialTable table_from_arrays(const py::array_t<double, py::array::c_style | py::array::forcecast>& C,
                                       const py::array_t<double, py::array::c_style | py::array::forcecast>& alpha) {
  if (C.ndim() != 3 || C.shape(1) != 6 || C.shape(2) != 6)
    throw py::value_error("`C` must have shape (m, 6, 6), got " + shape_string(C));
  if (alpha.ndim() != 2 || alpha.shape(1) != 6 || alpha.shape(0) != C.shape(0))
    throw py::value_error("`alpha` must have shape (m, 6) with m = len(C), got " + shape_string(alpha));
  MaterialTable t;
  const auto c = C.unchecked<3>();
  const auto a = alpha.unchecked<2>();
  for (py::ssize_t k = 0; k < C.shape(0); ++k) {
    Matrix6 m;
    Vector6 v;
    for (int i = 0; i < 6; ++i) {
      v[i] = a(k, i);
      for (int j = 0; j < 6; ++j) m(i, j) = c(k, i, j);
    }
    t.C.push_back(m);
    t.alpha.push_back(v);
  }
  return t;
}

inline MacroLoading loading_from(const Vector6& strain, const Vector6& stress, const std::array<bool, 6>& controlled,
                                 double delta_T) {
  MacroLoading l;
  l.strain = strain;
  l.stress = stress;
  l.stress_controlled = controlled;
  l.delta_T = delta_T;
  return l;
}

inline ElasticityScheme scheme_from(const std::string& name) {
  if (name == "hex8r") return ElasticityScheme::HexReduced;
  if (name == "hex8") return ElasticityScheme::HexFull;
  if (name == "basic") return ElasticityScheme::MoulinecSuquet;
  throw py::value_error("`scheme` must be 'hex8r', 'hex8' or 'basic', got scheme='" + name + "'");
}

/// Options with a monitor that calls back into Python (taking the GIL), when one is given.
inline ElasticityOptions options_from(const std::string& scheme, double tol, int max_iter,
                                      const Eigen::Vector3d& voxel_size, const py::object& monitor) {
  ElasticityOptions o;
  o.scheme = scheme_from(scheme);
  o.tol = tol;
  o.max_iter = max_iter;
  o.voxel_size = voxel_size;
  if (!monitor.is_none()) {
    o.monitor = [monitor](int it, double res) {
      py::gil_scoped_acquire gil;
      return monitor(it, res).cast<bool>();
    };
  }
  return o;
}

inline py::dict result_dict(const ElasticityResult& r) {
  py::dict d;
  d["converged"] = r.converged;
  d["iterations"] = r.iterations;
  d["residuals"] = py::array_t<double>(static_cast<py::ssize_t>(r.residuals.size()), r.residuals.data());
  d["mean_strain"] = py::array_t<double>(6, r.mean_strain.data());
  d["mean_stress"] = py::array_t<double>(6, r.mean_stress.data());
  Eigen::Matrix<double, 6, 6, Eigen::RowMajor> C0 = r.reference_C;
  d["reference_C"] = py::array_t<double>({6, 6}, C0.data());
  d["memory_bytes"] = r.memory_bytes;
  d["seconds"] = r.seconds;
  d["true_residual_checked"] = r.true_residual_checked;
  return d;
}

/// Output fields [ncomp, nx, ny, nz] of dtype T, or None.
template <class T>
py::object field_array(bool wanted, int ncomp, const Shape3& s, T** ptr) {
  if (!wanted) {
    *ptr = nullptr;
    return py::none();
  }
  py::array_t<T> a({static_cast<py::ssize_t>(ncomp), static_cast<py::ssize_t>(s.nx), static_cast<py::ssize_t>(s.ny),
                    static_cast<py::ssize_t>(s.nz)});
  *ptr = a.mutable_data();
  return std::move(a);
}

/// True when `index` is a uint16 array (composite-voxel tables); uint8 otherwise (checked later).
inline bool is_uint16(const py::handle& index) {
  return py::isinstance<py::array>(index) &&
         py::reinterpret_borrow<py::array>(index).dtype().equal(py::dtype::of<std::uint16_t>());
}

/// Checks the index volume, allocates the requested fields, runs solve(view, fields) without the
/// GIL and returns the result dict with the fields.
template <class T, class L, class Solve>
py::dict run_solver(const py::handle& index, bool want_u, bool want_strain, bool want_stress, Solve&& solve) {
  const auto view = volume_in<L>(index, "labels");
  ElasticityFields<T> f;
  py::object u = field_array<T>(want_u, 3, view.shape, &f.displacement);
  py::object e = field_array<T>(want_strain, 6, view.shape, &f.strain);
  py::object s = field_array<T>(want_stress, 6, view.shape, &f.stress);
  ElasticityResult r;
  {
    py::gil_scoped_release release;
    r = solve(view, f);
  }
  py::dict d = result_dict(r);
  d["displacement"] = u;
  d["strain"] = e;
  d["stress"] = s;
  return d;
}

}  // namespace voxtwin::bind
