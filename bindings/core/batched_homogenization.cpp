#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "batch_args.hpp"
#include "registry.hpp"
#include "voxtwin/batched_homogenization.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_batched_homogenization(py::module_& m) {
  m.def(
      "homogenize_cells",
      [](const py::handle& cells, const py::array_t<double, py::array::c_style | py::array::forcecast>& C,
         const py::array_t<double, py::array::c_style | py::array::forcecast>& alpha, const std::string& scheme,
         double tol, int max_iter, const Eigen::Vector3d& voxel_size, const std::string& symmetry,
         const std::string& precision) {
        const py::array arr = cells_in(cells);
        const MaterialTable table = table_from_arrays(C, alpha);
        const BatchOptions options = batch_options_from(scheme, tol, max_iter, voxel_size, symmetry);
        const auto* data = static_cast<const std::uint8_t*>(arr.data());
        const Shape3 shape = cell_shape(arr);
        const std::int64_t count = arr.shape(0);
        if (precision != "float64" && precision != "float32")
          throw py::value_error("`precision` must be 'float32' or 'float64', got precision='" + precision + "'");
        BatchResult r;
        {
          py::gil_scoped_release release;
          r = precision == "float64" ? homogenize_cells<double>(data, count, shape, table, options)
                                     : homogenize_cells<float>(data, count, shape, table, options);
        }
        return batch_dict(r);
      },
      py::arg("cells"), py::arg("C"), py::arg("alpha"), py::arg("scheme"), py::arg("tol"), py::arg("max_iter"),
      py::arg("voxel_size"), py::arg("symmetry"), py::arg("precision"),
      "Effective stiffness of a stack of small cells [count, nx, ny, nz] (CPU); returns a dict.");
  m.def(
      "cubic_invariant", [](const py::handle& cell) { return cubic_invariant(volume_in<std::uint8_t>(cell, "cell")); },
      py::arg("cell"), "True when the cube-shaped cell maps onto itself under the cube's 48 symmetry operations.");
  m.def("cubic_projection", &cubic_projection, py::arg("C"), "The average of C (6x6) over the cube's symmetry group.");
}

}  // namespace voxtwin::bind
