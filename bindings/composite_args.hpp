#pragma once
// Arguments of composite_cells shared by the CPU and CUDA bindings: the options struct from
// Python values, and the cells as a (cx, cy, cz, 24) uint8 array (viewed as a structured dtype
// in voxtwin.composite).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <string>

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

using CellsKernel = void (*)(const VolumeView<const std::uint8_t>&, const CompositeOptions&, CompositeCell*);
using MajorityKernel = void (*)(const VolumeView<const std::uint8_t>&, int, std::uint8_t*);

/// Defines composite_cells and majority_vote on `m` for one backend's kernels (CPU or CUDA).
inline void def_composite_kernels(py::module_& m, CellsKernel cells_kernel, MajorityKernel majority_kernel,
                                  const char* backend) {
  m.def(
      "composite_cells",
      [cells_kernel](const py::handle& labels, int factor, bool periodic, const py::handle& weights,
                     const py::handle& instances, const py::handle& centres, const py::handle& directions,
                     const py::handle& half_lengths, const py::handle& radii, bool rounded) {
        const auto view = volume_in<std::uint8_t>(labels, "labels");
        const CompositeOptions o = composite_options(view.shape, factor, periodic, weights, instances, centres,
                                                     directions, half_lengths, radii, rounded);
        auto cells = new_cells(composite_grid(view.shape, o));
        auto* out = reinterpret_cast<CompositeCell*>(cells.mutable_data());
        py::gil_scoped_release release;
        cells_kernel(view, o, out);
        return cells;
      },
      py::arg("labels"), py::arg("factor"), py::arg("periodic"), py::arg("weights"), py::arg("instances") = py::none(),
      py::arg("centres") = py::none(), py::arg("directions") = py::none(), py::arg("half_lengths") = py::none(),
      py::arg("radii") = py::none(), py::arg("rounded") = false,
      (std::string("Per coarse voxel: labels, counts and interface normal, as (cx, cy, cz, 24) uint8 records (") +
       backend + ").").c_str());
  m.def(
      "majority_vote",
      [majority_kernel](const py::handle& labels, int factor) {
        const auto view = volume_in<std::uint8_t>(labels, "labels");
        auto out = new_volume<std::uint8_t>(coarse_shape(view.shape, factor));
        std::uint8_t* data = out.mutable_data();
        py::gil_scoped_release release;
        majority_kernel(view, factor, data);
        return out;
      },
      py::arg("labels"), py::arg("factor"),
      (std::string("Most frequent label per block, smallest on ties (") + backend + ").").c_str());
}

}  // namespace voxtwin::bind
