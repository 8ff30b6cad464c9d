#include <pybind11/numpy.h>

#include "array_checks.hpp"
#include "registry.hpp"
#include "voxtwin/cluster_correlation.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_cluster_correlation(py::module_& m) {
  m.def(
      "axis_cluster_counts",
      [](const py::handle& clusters, int axis, bool periodic) {
        auto view = volume_in<std::uint32_t>(clusters, "clusters");
        std::vector<std::int64_t> c;
        {
          py::gil_scoped_release release;
          c = axis_cluster_counts(view, axis, periodic);
        }
        return py::array_t<std::int64_t>(static_cast<py::ssize_t>(c.size()), c.data());
      },
      py::arg("clusters"), py::arg("axis"), py::arg("periodic"),
      "Pairs (p, p + r e_axis) in one cluster (equal nonzero uint32 labels) for lags r = 0..n-1.");
}

}  // namespace voxtwin::bind
