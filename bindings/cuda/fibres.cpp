#include <pybind11/stl.h>

#include "fibre_args.hpp"
#include "registry.hpp"
#include "voxtwin/fibres.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_cuda_fibres(py::module_& m) {
  m.def(
      "rasterize_fibres",
      [](const py::handle& centre, const py::handle& direction, const py::handle& length, const py::handle& diameter,
         const std::string& fibre_shape, const std::array<std::int64_t, 3>& shape, double voxel_size, bool periodic,
         const py::object& labels, int fibre_label, const py::object& instances, const py::object& fractions,
         int supersample) {
        rasterize_binding(
            [](const std::vector<Fibre>& f, FibreShape k, const FibreGrid& g, const RasterTargets& t) {
              cuda::rasterize_fibres(f, k, g, t);
            },
            centre, direction, length, diameter, fibre_shape, shape, voxel_size, periodic, labels, fibre_label,
            instances, fractions, supersample);
      },
      py::arg("centre"), py::arg("direction"), py::arg("length"), py::arg("diameter"), py::arg("fibre_shape"),
      py::arg("shape"), py::arg("voxel_size"), py::arg("periodic"), py::arg("labels"), py::arg("fibre_label"),
      py::arg("instances"), py::arg("fractions"), py::arg("supersample"),
      "Rasterize fibres on the GPU; byte-identical to the CPU backend.");
}

}  // namespace voxtwin::bind
