#include <pybind11/stl.h>

#include "array_checks.hpp"
#include "registry.hpp"
#include "voxtwin/paste.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_paste(py::module_& m) {
  m.def(
      "paste",
      [](const py::handle& block, const py::handle& out, const std::array<std::int64_t, 3>& offset,
         const std::array<int, 3>& axis, const std::array<bool, 3>& flip) {
        auto src = volume_in<std::uint8_t>(block, "block");
        auto dst = volume_out<std::uint8_t>(out, "out");
        const AxisTransform transform{axis, flip};
        py::gil_scoped_release release;
        return paste(src, dst, offset, transform);
      },
      py::arg("block"), py::arg("out"), py::arg("offset"), py::arg("axis") = std::array<int, 3>{0, 1, 2},
      py::arg("flip") = std::array<bool, 3>{false, false, false},
      "Copy `block` (uint8), turned by the signed axis permutation (axis, flip), into `out` at `offset` "
      "(voxels), clipped at out's bounds; returns the number of voxels written.");
}

}  // namespace voxtwin::bind
