#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "array_checks.hpp"
#include "registry.hpp"
#include "voxtwin/two_point.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_two_point(py::module_& m) {
  m.def(
      "axis_correlation_counts",
      [](const py::handle& labels, int axis, std::uint8_t a, std::uint8_t b, bool periodic) {
        auto view = volume_in<std::uint8_t>(labels, "labels");
        std::vector<std::int64_t> c;
        {
          py::gil_scoped_release release;
          c = axis_correlation_counts(view, axis, a, b, periodic);
        }
        return py::array_t<std::int64_t>(static_cast<py::ssize_t>(c.size()), c.data());
      },
      py::arg("labels"), py::arg("axis"), py::arg("a"), py::arg("b"), py::arg("periodic"),
      "Pair counts (label a at p, label b at p + r e_axis) for every lag r along `axis` (wrapped when "
      "periodic, else lags -n+1..n-1 stored circularly in 2n entries).");
  m.def(
      "radial_correlation_counts",
      [](const py::handle& labels, std::uint8_t a, std::uint8_t b, const std::array<bool, 3>& periodic,
         std::int64_t max_bin) {
        auto view = volume_in<std::uint8_t>(labels, "labels");
        RadialCorrelation r;
        {
          py::gil_scoped_release release;
          r = radial_correlation_counts(view, a, b, periodic, max_bin);
        }
        return py::make_tuple(py::array_t<std::int64_t>(static_cast<py::ssize_t>(r.pairs.size()), r.pairs.data()),
                              py::array_t<std::int64_t>(static_cast<py::ssize_t>(r.windows.size()), r.windows.data()));
      },
      py::arg("labels"), py::arg("a"), py::arg("b"), py::arg("periodic"), py::arg("max_bin"),
      "(pairs, windows) per rounded lag length 0..max_bin (voxels) of the full 3D correlation.");
}

}  // namespace voxtwin::bind
