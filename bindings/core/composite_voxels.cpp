#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <cstring>

#include "array_checks.hpp"
#include "composite_args.hpp"
#include "registry.hpp"
#include "voxtwin/composite_table.hpp"
#include "voxtwin/composite_voxels.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_composite_voxels(py::module_& m) {
  def_composite_kernels(m, &composite_cells, &majority_vote, "CPU");

  m.def(
      "composite_table",
      [](const py::array_t<std::uint8_t, py::array::c_style>& cells, const py::array_t<std::int32_t>& row_of_label,
         int n_rows, int resolution, int max_entries) {
        if (cells.ndim() != 4 || cells.shape(3) != static_cast<py::ssize_t>(sizeof(CompositeCell)))
          throw py::value_error("`cells` must have shape (cx, cy, cz, 24), got " + shape_string(cells));
        if (row_of_label.ndim() != 1 || row_of_label.size() != 256)
          throw py::value_error("`row_of_label` must hold 256 values, got " + shape_string(row_of_label));
        const Shape3 coarse{cells.shape(0), cells.shape(1), cells.shape(2)};
        std::array<int, 256> rows;
        for (int l = 0; l < 256; ++l) rows[l] = row_of_label.at(l);
        auto index = new_volume<std::uint16_t>(coarse);
        std::uint16_t* out = index.mutable_data();
        const auto* data = reinterpret_cast<const CompositeCell*>(cells.data());
        CompositeTable table;
        {
          py::gil_scoped_release release;
          table = composite_table(data, coarse, rows, n_rows, resolution, max_entries, out);
        }
        const auto k = static_cast<py::ssize_t>(table.entries.size());
        py::array_t<std::uint8_t> labels({k, py::ssize_t(kCompositeSlots)});
        py::array_t<std::uint16_t> counts({k, py::ssize_t(kCompositeSlots)});
        py::array_t<std::int8_t> normals({k, py::ssize_t(3)});
        for (py::ssize_t i = 0; i < k; ++i) {
          const CompositeEntry& e = table.entries[i];
          std::memcpy(labels.mutable_data(i, 0), e.label, sizeof(e.label));
          std::memcpy(counts.mutable_data(i, 0), e.count, sizeof(e.count));
          std::memcpy(normals.mutable_data(i, 0), e.normal, sizeof(e.normal));
        }
        return py::make_tuple(index, labels, counts, normals, table.resolution);
      },
      py::arg("cells"), py::arg("row_of_label"), py::arg("n_rows"), py::arg("resolution"), py::arg("max_entries"),
      "(index uint16 volume, entry labels (k, 4), counts (k, 4), normals (k, 3) int8, resolution used).");

  m.def(
      "composite_laminates",
      [](const py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>& labels,
         const py::array_t<std::uint16_t, py::array::c_style | py::array::forcecast>& counts,
         const py::array_t<std::int8_t, py::array::c_style | py::array::forcecast>& normals, int factor,
         const py::array_t<double, py::array::c_style | py::array::forcecast>& C,
         const py::array_t<double, py::array::c_style | py::array::forcecast>& alpha) {
        const py::ssize_t k = labels.ndim() == 2 ? labels.shape(0) : -1;
        if (labels.ndim() != 2 || labels.shape(1) != kCompositeSlots || counts.ndim() != 2 || counts.shape(0) != k ||
            counts.shape(1) != kCompositeSlots || normals.ndim() != 2 || normals.shape(0) != k || normals.shape(1) != 3)
          throw py::value_error("`labels`, `counts` must have shape (k, 4) and `normals` (k, 3), got " +
                                shape_string(labels) + ", " + shape_string(counts) + ", " + shape_string(normals));
        if (C.ndim() != 3 || C.shape(0) != 256 || C.shape(1) != 6 || C.shape(2) != 6 || alpha.ndim() != 2 ||
            alpha.shape(0) != 256 || alpha.shape(1) != 6)
          throw py::value_error("`C` must have shape (256, 6, 6) and `alpha` (256, 6), got " + shape_string(C) + " and " +
                                shape_string(alpha));
        std::vector<CompositeEntry> entries(static_cast<std::size_t>(k));
        for (py::ssize_t i = 0; i < k; ++i) {
          std::memcpy(entries[i].label, labels.data(i, 0), sizeof(entries[i].label));
          std::memcpy(entries[i].count, counts.data(i, 0), sizeof(entries[i].count));
          std::memcpy(entries[i].normal, normals.data(i, 0), sizeof(entries[i].normal));
        }
        std::vector<ThermoElastic> phases(256);
        for (int l = 0; l < 256; ++l) {
          phases[l].C = Eigen::Map<const Eigen::Matrix<double, 6, 6, Eigen::RowMajor>>(C.data(l, 0, 0));
          phases[l].alpha = Eigen::Map<const Vector6>(alpha.data(l, 0));
        }
        std::vector<ThermoElastic> laws;
        {
          py::gil_scoped_release release;
          laws = composite_laminates(entries, factor, phases);
        }
        py::array_t<double> C_out({k, py::ssize_t(6), py::ssize_t(6)});
        py::array_t<double> alpha_out({k, py::ssize_t(6)});
        for (py::ssize_t i = 0; i < k; ++i) {
          Eigen::Map<Eigen::Matrix<double, 6, 6, Eigen::RowMajor>>(C_out.mutable_data(i, 0, 0)) = laws[i].C;
          Eigen::Map<Vector6>(alpha_out.mutable_data(i, 0)) = laws[i].alpha;
        }
        return py::make_tuple(C_out, alpha_out);
      },
      py::arg("labels"), py::arg("counts"), py::arg("normals"), py::arg("factor"), py::arg("C"), py::arg("alpha"),
      "Laminate stiffness (k, 6, 6) GPa and CTE (k, 6) 1/K of table entries, from the laws of the 256 labels.");
}

}  // namespace voxtwin::bind
