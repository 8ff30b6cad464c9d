#pragma once
// fibre_composite_cells for one backend's kernel (CPU or CUDA): the fibre table and grid from
// Python values, the cells as a (cx, cy, cz, 24) uint8 array (as composite_cells).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "composite_args.hpp"
#include "fibre_args.hpp"
#include "voxtwin/fibre_composite.hpp"

namespace voxtwin::bind {

using FibreCellsKernel = void (*)(const std::vector<Fibre>&, FibreShape, const FibreGrid&, int, std::uint8_t,
                                  std::uint8_t, bool, CompositeCell*);

inline void def_fibre_composite(pybind11::module_& m, FibreCellsKernel kernel, const char* doc) {
  namespace py = pybind11;
  m.def(
      "fibre_composite_cells",
      [kernel](const py::handle& centre, const py::handle& direction, const py::handle& length,
               const py::handle& diameter, const std::string& fibre_shape, const std::array<std::int64_t, 3>& shape,
               double voxel_size, bool periodic, int points, std::uint8_t matrix_label, std::uint8_t fibre_label,
               bool axes) {
        const std::vector<Fibre> fibres = fibres_from_arrays(centre, direction, length, diameter);
        const FibreShape kind = bind::fibre_shape(fibre_shape);
        const FibreGrid grid = fibre_grid(shape, voxel_size, periodic);
        auto cells = new_cells(grid.shape);
        auto* out = reinterpret_cast<CompositeCell*>(cells.mutable_data());
        {
          py::gil_scoped_release release;
          kernel(fibres, kind, grid, points, matrix_label, fibre_label, axes, out);
        }
        return cells;
      },
      py::arg("centre"), py::arg("direction"), py::arg("length"), py::arg("diameter"), py::arg("fibre_shape"),
      py::arg("shape"), py::arg("voxel_size"), py::arg("periodic"), py::arg("points"), py::arg("matrix_label"),
      py::arg("fibre_label"), py::arg("axes") = false, doc);
}

}  // namespace voxtwin::bind
