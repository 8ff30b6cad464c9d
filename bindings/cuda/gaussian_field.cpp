#include <pybind11/stl.h>

#include "array_checks.hpp"
#include "registry.hpp"
#include "voxtwin/gaussian_field.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_cuda_gaussian_field(py::module_& m) {
  m.def(
      "gaussian_field",
      [](const std::array<std::int64_t, 3>& shape, const std::array<double, 3>& lengths, std::uint64_t seed,
         std::uint64_t stream, std::int64_t x0, std::int64_t x1, const py::handle& out) {
        auto view = volume_out<float>(out, "out");
        const GaussianFieldSpec spec{Shape3{shape[0], shape[1], shape[2]}, lengths, seed, stream};
        py::gil_scoped_release release;
        cuda::gaussian_field(spec, x0, x1, view);
      },
      py::arg("shape"), py::arg("lengths"), py::arg("seed"), py::arg("stream"), py::arg("x0"), py::arg("x1"),
      py::arg("out"), "GPU twin of voxtwin._core.gaussian_field (the same bytes).");
}

}  // namespace voxtwin::bind
