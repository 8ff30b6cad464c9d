#include "array_checks.hpp"
#include "composite_args.hpp"
#include "registry.hpp"
#include "voxtwin/composite_voxels.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_cuda_composite_voxels(py::module_& m) {
  m.def(
      "composite_cells",
      [](const py::handle& labels, int factor, bool periodic, const py::handle& weights, const py::handle& instances,
         const py::handle& centres, const py::handle& directions, const py::handle& half_lengths,
         const py::handle& radii, bool rounded) {
        const auto view = volume_in<std::uint8_t>(labels, "labels");
        const CompositeOptions o =
            composite_options(view.shape, factor, periodic, weights, instances, centres, directions, half_lengths, radii,
                              rounded);
        auto cells = new_cells(composite_grid(view.shape, o));
        CompositeCell* out = cells_data(cells);
        py::gil_scoped_release release;
        cuda::composite_cells(view, o, out);
        return cells;
      },
      py::arg("labels"), py::arg("factor"), py::arg("periodic"), py::arg("weights"), py::arg("instances") = py::none(),
      py::arg("centres") = py::none(), py::arg("directions") = py::none(), py::arg("half_lengths") = py::none(),
      py::arg("radii") = py::none(), py::arg("rounded") = false,
      "composite_cells on the GPU (byte-identical to the CPU).");

  m.def(
      "majority_vote",
      [](const py::handle& labels, int factor) {
        const auto view = volume_in<std::uint8_t>(labels, "labels");
        auto out = new_volume<std::uint8_t>(coarse_shape(view.shape, factor));
        std::uint8_t* data = out.mutable_data();
        py::gil_scoped_release release;
        cuda::majority_vote(view, factor, data);
        return out;
      },
      py::arg("labels"), py::arg("factor"), "majority_vote on the GPU.");
}

}  // namespace voxtwin::bind
