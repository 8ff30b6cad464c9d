#include <pybind11/numpy.h>

#include "array_checks.hpp"
#include "registry.hpp"
#include "voxtwin/two_point.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_cuda_two_point(py::module_& m) {
  m.def(
      "axis_correlation_counts",
      [](const py::handle& labels, int axis, std::uint8_t a, std::uint8_t b, bool periodic) {
        auto view = volume_in<std::uint8_t>(labels, "labels");
        std::vector<std::int64_t> c;
        {
          py::gil_scoped_release release;
          c = cuda::axis_correlation_counts(view, axis, a, b, periodic);
        }
        return py::array_t<std::int64_t>(static_cast<py::ssize_t>(c.size()), c.data());
      },
      py::arg("labels"), py::arg("axis"), py::arg("a"), py::arg("b"), py::arg("periodic"),
      "Pair counts along `axis` on the GPU (cuFFT), the same as voxtwin._core.axis_correlation_counts.");
}

}  // namespace voxtwin::bind
