#pragma once
// Arguments of composite_cells shared by the CPU and CUDA bindings: the options struct from
// Python values, and the cells as a (cx, cy, cz, 24) uint8 array (viewed as a structured dtype
// in voxtwin.composite).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>

#include "array_checks.hpp"
#include "voxtwin/composite_voxels.hpp"

namespace voxtwin::bind {

namespace py = pybind11;

static_assert(sizeof(CompositeCell) == 24, "voxtwin.composite views cells as 24-byte records");

/// CompositeOptions from the binding's arguments; `instances` (uint32 volume of `shape`),
/// `centres` / `directions` ((n, 3) float64, fine-voxel units) and `half_lengths` / `radii`
/// ((n,) float64) may be None; `rounded`: spherocylinders.
inline CompositeOptions composite_options(const Shape3& shape, int factor, bool periodic, const py::handle& weights,
                                          const py::handle& instances, const py::handle& centres,
                                          const py::handle& directions, const py::handle& half_lengths,
                                          const py::handle& radii, bool rounded) {
  CompositeOptions o;
  o.factor = factor;
  o.periodic = periodic;
  py::array w = checked_array<std::int32_t>(weights, "weights", 1);
  if (w.size() != 256) throw py::value_error("`weights` must hold 256 values, got " + shape_string(w));
  std::memcpy(o.weights.data(), w.data(), 256 * sizeof(std::int32_t));
  if (!instances.is_none()) {
    const auto inst = volume_in<std::uint32_t>(instances, "instances");
    require_same_shape(shape, "labels", inst.shape, "instances");
    o.instances = inst.data;
    py::array c = checked_array<double>(centres, "centres", 2);
    py::array d = checked_array<double>(directions, "directions", 2);
    if (c.shape(1) != 3 || d.shape(1) != 3 || c.shape(0) != d.shape(0))
      throw py::value_error("`centres` and `directions` must both have shape (n, 3), got " + shape_string(c) + " and " +
                            shape_string(d));
    const auto* cp = static_cast<const double*>(c.data());
    const auto* dp = static_cast<const double*>(d.data());
    o.fibres.centre.assign(cp, cp + c.size());
    o.fibres.direction.assign(dp, dp + d.size());
    if (!half_lengths.is_none() || !radii.is_none()) {
      py::array h = checked_array<double>(half_lengths, "half_lengths", 1);
      py::array r = checked_array<double>(radii, "radii", 1);
      const auto* hp = static_cast<const double*>(h.data());
      const auto* rp = static_cast<const double*>(r.data());
      o.fibres.half_length.assign(hp, hp + h.size());
      o.fibres.radius.assign(rp, rp + r.size());
      o.fibres.rounded = rounded;
    }
  }
  return o;
}

/// A new (cx, cy, cz, 24) uint8 array for the cells of the coarse grid.
inline py::array_t<std::uint8_t> new_cells(const Shape3& coarse) {
  return py::array_t<std::uint8_t>({coarse.nx, coarse.ny, coarse.nz, static_cast<py::ssize_t>(sizeof(CompositeCell))});
}

inline CompositeCell* cells_data(py::array_t<std::uint8_t>& cells) {
  return reinterpret_cast<CompositeCell*>(cells.mutable_data());
}

}  // namespace voxtwin::bind
