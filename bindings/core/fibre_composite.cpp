#include <pybind11/stl.h>

#include "array_checks.hpp"
#include "composite_args.hpp"
#include "fibre_args.hpp"
#include "registry.hpp"
#include "voxtwin/fibre_composite.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_fibre_composite(py::module_& m) {
  m.def(
      "fibre_composite_cells",
      [](const py::handle& centre, const py::handle& direction, const py::handle& length, const py::handle& diameter,
         const std::string& fibre_shape, const std::array<std::int64_t, 3>& shape, double voxel_size, bool periodic,
         int points, std::uint8_t matrix_label, std::uint8_t fibre_label, bool axes) {
        const std::vector<Fibre> fibres = fibres_from_arrays(centre, direction, length, diameter);
        const FibreShape kind = bind::fibre_shape(fibre_shape);
        const FibreGrid grid = fibre_grid(shape, voxel_size, periodic);
        auto cells = new_cells(grid.shape);
        auto* out = reinterpret_cast<CompositeCell*>(cells.mutable_data());
        {
          py::gil_scoped_release release;
          fibre_composite_cells(fibres, kind, grid, points, matrix_label, fibre_label, axes, out);
        }
        return cells;
      },
      py::arg("centre"), py::arg("direction"), py::arg("length"), py::arg("diameter"), py::arg("fibre_shape"),
      py::arg("shape"), py::arg("voxel_size"), py::arg("periodic"), py::arg("points"), py::arg("matrix_label"),
      py::arg("fibre_label"), py::arg("axes") = false,
      "Composite cells (cx, cy, cz, 24) of the coarse grid straight from the fibres; see voxtwin/fibre_composite.hpp.");
}

}  // namespace voxtwin::bind
