#include <pybind11/numpy.h>

#include "array_checks.hpp"
#include "registry.hpp"
#include "voxtwin/run_lengths.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_run_lengths(py::module_& m) {
  m.def(
      "run_lengths",
      [](const py::handle& labels, int axis, std::uint8_t phase, bool periodic) {
        auto view = volume_in<std::uint8_t>(labels, "labels");
        RunLengths r;
        {
          py::gil_scoped_release release;
          r = run_lengths(view, axis, phase, periodic);
        }
        return py::make_tuple(py::array_t<std::int64_t>(static_cast<py::ssize_t>(r.inner.size()), r.inner.data()),
                              py::array_t<std::int64_t>(static_cast<py::ssize_t>(r.edge.size()), r.edge.data()));
      },
      py::arg("labels"), py::arg("axis"), py::arg("phase"), py::arg("periodic"),
      "(inner, edge) histograms of run lengths (voxels) of `phase` along `axis`.");
}

}  // namespace voxtwin::bind
