#include <pybind11/stl.h>

#include "array_checks.hpp"
#include "registry.hpp"
#include "voxtwin/phase_counts.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_phase_counts(py::module_& m) {
  m.def(
      "phase_counts",
      [](const py::handle& labels) {
        auto view = volume_in<std::uint8_t>(labels, "labels");
        py::gil_scoped_release release;
        return phase_counts(view);
      },
      py::arg("labels"), "Voxel count of every uint8 label (array of 256).");
}

}  // namespace voxtwin::bind
