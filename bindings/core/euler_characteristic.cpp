#include <pybind11/stl.h>

#include "array_checks.hpp"
#include "registry.hpp"
#include "voxtwin/euler_characteristic.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_euler_characteristic(py::module_& m) {
  m.def(
      "euler_characteristic",
      [](const py::handle& labels, std::uint8_t phase, const std::array<bool, 3>& periodic) {
        auto view = volume_in<std::uint8_t>(labels, "labels");
        py::gil_scoped_release release;
        return euler_characteristic(view, phase, periodic);
      },
      py::arg("labels"), py::arg("phase"), py::arg("periodic"),
      "Euler characteristic of the closed-cube union of `phase` (2x2x2 configuration table).");
}

}  // namespace voxtwin::bind
