#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "batch_args.hpp"
#include "registry.hpp"
#include "voxtwin/batched_homogenization.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_cuda_batched_homogenization(py::module_& m) {
  m.def(
      "homogenize_cells",
      [](const py::handle& cells, const py::array_t<double, py::array::c_style | py::array::forcecast>& C,
         const py::array_t<double, py::array::c_style | py::array::forcecast>& alpha, const std::string& scheme,
         double tol, int max_iter, const Eigen::Vector3d& voxel_size, const std::string& symmetry) {
        const py::array arr = cells_in(cells);
        const MaterialTable table = table_from_arrays(C, alpha);
        const BatchOptions options = batch_options_from(scheme, tol, max_iter, voxel_size, symmetry);
        const auto* data = static_cast<const std::uint8_t*>(arr.data());
        const Shape3 shape = cell_shape(arr);
        const std::int64_t count = arr.shape(0);
        BatchResult r;
        {
          py::gil_scoped_release release;
          r = cuda::homogenize_cells(data, count, shape, table, options);
        }
        return batch_dict(r);
      },
      py::arg("cells"), py::arg("C"), py::arg("alpha"), py::arg("scheme"), py::arg("tol"), py::arg("max_iter"),
      py::arg("voxel_size"), py::arg("symmetry"),
      "Effective stiffness of a stack of small cells [count, nx, ny, nz] on the GPU (float32); returns a dict.");
}

}  // namespace voxtwin::bind
