#pragma once
// Fibre-table arguments shared by the _core and _cuda bindings: four numpy arrays (centre (n, 3),
// direction (n, 3), length (n,), diameter (n,), float64, C-contiguous; n may be 0) become a
// std::vector<voxtwin::Fibre>; the fibre shape comes as "cylinder" or "spherocylinder".
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <string>
#include <vector>

#include "array_checks.hpp"
#include "voxtwin/fibres.hpp"

namespace voxtwin::bind {

namespace py = pybind11;

/// A float64 C-contiguous array with `ndim` dimensions (empty allowed), else TypeError / ValueError.
inline py::array fibre_column(const py::handle& obj, const char* name, int ndim) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string("`") + name + "` must be a numpy array of dtype float64");
  auto arr = py::reinterpret_borrow<py::array>(obj);
  if (!arr.dtype().equal(py::dtype::of<double>()))
    throw py::type_error(std::string("`") + name + "` must have dtype float64, got dtype " + std::string(py::str(arr.dtype())));
  if (arr.ndim() != ndim || (ndim == 2 && arr.shape(1) != 3))
    throw py::value_error(std::string("`") + name + "` must have shape " + (ndim == 2 ? "(n, 3)" : "(n,)") + ", got " +
                          shape_string(arr));
  if (!(arr.flags() & py::array::c_style))
    throw py::value_error(std::string("`") + name + "` must be C-contiguous");
  return arr;
}

inline std::vector<Fibre> fibres_from_arrays(const py::handle& centre, const py::handle& direction,
                                             const py::handle& length, const py::handle& diameter) {
  const py::array c = fibre_column(centre, "centre", 2), u = fibre_column(direction, "direction", 2);
  const py::array l = fibre_column(length, "length", 1), d = fibre_column(diameter, "diameter", 1);
  const py::ssize_t n = c.shape(0);
  if (u.shape(0) != n || l.shape(0) != n || d.shape(0) != n)
    throw py::value_error("`centre`, `direction`, `length` and `diameter` must describe the same number of fibres, got " +
                          shape_string(c) + ", " + shape_string(u) + ", " + shape_string(l) + ", " + shape_string(d));
  const double* pc = static_cast<const double*>(c.data());
  const double* pu = static_cast<const double*>(u.data());
  const double* pl = static_cast<const double*>(l.data());
  const double* pd = static_cast<const double*>(d.data());
  std::vector<Fibre> out(static_cast<std::size_t>(n));
  for (py::ssize_t i = 0; i < n; ++i) {
    Fibre& f = out[static_cast<std::size_t>(i)];
    for (int a = 0; a < 3; ++a) {
      f.centre[a] = pc[3 * i + a];
      f.direction[a] = pu[3 * i + a];
    }
    f.length = pl[i];
    f.diameter = pd[i];
  }
  return out;
}

inline FibreShape fibre_shape(const std::string& name) {
  if (name == "cylinder") return FibreShape::Cylinder;
  if (name == "spherocylinder") return FibreShape::Spherocylinder;
  throw py::value_error("`fibre_shape` must be 'cylinder' or 'spherocylinder', got fibre_shape='" + name + "'");
}

inline FibreGrid fibre_grid(const std::array<std::int64_t, 3>& shape, double voxel_size, bool periodic) {
  return FibreGrid{Shape3{shape[0], shape[1], shape[2]}, voxel_size, periodic};
}

/// Optional volume: None -> an empty view (the output is skipped).
template <class T>
VolumeView<T> optional_volume_out(const py::object& obj, const char* name) {
  if (obj.is_none()) return {};
  return volume_out<T>(obj, name);
}

/// Defines `rasterize_fibres` on module `m`, calling `raster` (voxtwin::rasterize_fibres or its
/// CUDA twin) with the GIL released; outputs given as None are skipped.
template <class Raster>
void def_rasterize(py::module_& m, Raster raster, const char* doc) {
  m.def(
      "rasterize_fibres",
      [raster](const py::handle& centre, const py::handle& direction, const py::handle& length,
               const py::handle& diameter, const std::string& shape_name, const std::array<std::int64_t, 3>& shape,
               double voxel_size, bool periodic, const py::object& labels, int fibre_label, const py::object& instances,
               const py::object& fractions, int supersample) {
        const std::vector<Fibre> fibres = fibres_from_arrays(centre, direction, length, diameter);
        if (fibre_label < 0 || fibre_label > 255)
          throw py::value_error("`fibre_label` must be in 0..255, got fibre_label=" + std::to_string(fibre_label));
        RasterTargets t;
        t.labels = optional_volume_out<std::uint8_t>(labels, "labels");
        t.fibre_label = static_cast<std::uint8_t>(fibre_label);
        t.instances = optional_volume_out<std::uint32_t>(instances, "instances");
        t.fractions = optional_volume_out<float>(fractions, "fractions");
        t.supersample = supersample;
        const FibreShape kind = fibre_shape(shape_name);
        const FibreGrid grid = fibre_grid(shape, voxel_size, periodic);
        py::gil_scoped_release release;
        raster(fibres, kind, grid, t);
      },
      py::arg("centre"), py::arg("direction"), py::arg("length"), py::arg("diameter"), py::arg("fibre_shape"),
      py::arg("shape"), py::arg("voxel_size"), py::arg("periodic"), py::arg("labels"), py::arg("fibre_label"),
      py::arg("instances"), py::arg("fractions"), py::arg("supersample"), doc);
}

}  // namespace voxtwin::bind
