#include <pybind11/stl.h>

#include "array_checks.hpp"
#include "fibre_args.hpp"
#include "registry.hpp"
#include "voxtwin/fibres.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

namespace {

py::dict fibre_arrays(const std::vector<Fibre>& fibres) {
  const py::ssize_t n = static_cast<py::ssize_t>(fibres.size());
  py::array_t<double> centre({n, py::ssize_t(3)}), direction({n, py::ssize_t(3)}), length(n), diameter(n);
  auto c = centre.mutable_unchecked<2>();
  auto u = direction.mutable_unchecked<2>();
  auto l = length.mutable_unchecked<1>();
  auto d = diameter.mutable_unchecked<1>();
  for (py::ssize_t i = 0; i < n; ++i) {
    const Fibre& f = fibres[static_cast<std::size_t>(i)];
    for (int a = 0; a < 3; ++a) {
      c(i, a) = f.centre[a];
      u(i, a) = f.direction[a];
    }
    l(i) = f.length;
    d(i) = f.diameter;
  }
  py::dict out;
  out["centre"] = centre;
  out["direction"] = direction;
  out["length"] = length;
  out["diameter"] = diameter;
  return out;
}

}  // namespace

void bind_fibres(py::module_& m) {
  def_rasterize(
      m,
      [](const std::vector<Fibre>& f, FibreShape k, const FibreGrid& g, const RasterTargets& t) {
        rasterize_fibres(f, k, g, t);
      },
      "Rasterize fibres into the given outputs (None skips one); see voxtwin/fibres.hpp.");

  m.def(
      "fibre_voxel_counts",
      [](const py::handle& centre, const py::handle& direction, const py::handle& length, const py::handle& diameter,
         const std::string& fibre_shape, const std::array<std::int64_t, 3>& shape, double voxel_size, bool periodic) {
        const std::vector<Fibre> fibres = fibres_from_arrays(centre, direction, length, diameter);
        const FibreShape kind = bind::fibre_shape(fibre_shape);
        const FibreGrid grid = fibre_grid(shape, voxel_size, periodic);
        py::array_t<std::int64_t> out(static_cast<py::ssize_t>(fibres.size()));
        auto o = out.mutable_unchecked<1>();
        py::gil_scoped_release release;
        for (std::size_t i = 0; i < fibres.size(); ++i) o(static_cast<py::ssize_t>(i)) = fibre_voxel_count(fibres[i], kind, grid);
        return out;
      },
      py::arg("centre"), py::arg("direction"), py::arg("length"), py::arg("diameter"), py::arg("fibre_shape"),
      py::arg("shape"), py::arg("voxel_size"), py::arg("periodic"),
      "Voxels whose centre lies inside each fibre on its own.");

  m.def(
      "axis_distance",
      [](const py::handle& centre, const py::handle& direction, const py::handle& length, const py::handle& diameter,
         const std::string& fibre_shape) {
        const std::vector<Fibre> f = fibres_from_arrays(centre, direction, length, diameter);
        if (f.size() != 2) throw py::value_error("`centre` must describe exactly 2 fibres, got " + std::to_string(f.size()));
        return axis_distance(f[0], f[1], bind::fibre_shape(fibre_shape));
      },
      py::arg("centre"), py::arg("direction"), py::arg("length"), py::arg("diameter"), py::arg("fibre_shape"),
      "Distance between the axis segments of two fibres (µm), no periodic images.");

  py::class_<FibreMigrator>(m, "FibreMigrator")
      .def(py::init([](const py::handle& centre, const py::handle& direction, const py::handle& length,
                       const py::handle& diameter, const std::string& fibre_shape, const std::array<std::int64_t, 3>& shape,
                       double voxel_size, bool periodic, const py::object& mask, double min_gap, std::int64_t fixed,
                       std::int64_t draw_from, const py::object& key, const std::array<double, 3>& lo, const std::array<double, 3>& hi,
                       const std::array<double, 9>& target_tensor, double tensor_weight,
                       const std::array<double, 3>& plane_normal, double rotation_mobility, double layer_spacing) {
             const std::vector<Fibre> f = fibres_from_arrays(centre, direction, length, diameter);
             VolumeView<const std::uint8_t> view{};
             if (!mask.is_none()) view = volume_in<std::uint8_t>(mask, "mask");
             MigrationOptions o;
             o.min_gap = min_gap;
             o.fixed = fixed;
             o.draw_centres = !key.is_none();
             o.draw_from = draw_from;
             if (o.draw_centres) o.key = key.cast<std::uint64_t>();
             o.lo = lo;
             o.hi = hi;
             o.target_tensor = target_tensor;
             o.tensor_weight = tensor_weight;
             o.plane_normal = plane_normal;
             o.rotation_mobility = rotation_mobility;
             o.layer_spacing = layer_spacing;
             const FibreGrid grid = fibre_grid(shape, voxel_size, periodic);
             const FibreShape kind = bind::fibre_shape(fibre_shape);
             py::gil_scoped_release release;
             return std::make_unique<FibreMigrator>(f, kind, grid, view, o);
           }),
           py::arg("centre"), py::arg("direction"), py::arg("length"), py::arg("diameter"), py::arg("fibre_shape"),
           py::arg("shape"), py::arg("voxel_size"), py::arg("periodic"), py::arg("mask"), py::arg("min_gap"),
           py::arg("fixed"), py::arg("draw_from"), py::arg("key"), py::arg("lo"), py::arg("hi"), py::arg("target_tensor"),
           py::arg("tensor_weight"), py::arg("plane_normal"), py::arg("rotation_mobility"),
           py::arg("layer_spacing") = 0.0,
           py::keep_alive<1, 10>())  // the migrator reads the mask in place
      .def(
          "run",
          [](FibreMigrator& mig, std::int64_t iterations) {
            py::gil_scoped_release release;
            mig.run(iterations);
          },
          py::arg("iterations"))
      .def("fibres", [](const FibreMigrator& mig) { return fibre_arrays(mig.fibres()); })
      .def("mask_violators",
           [](const FibreMigrator& mig) {
             const std::vector<std::uint8_t> v = mig.mask_violators();
             py::array_t<bool> out(static_cast<py::ssize_t>(v.size()));
             std::copy(v.begin(), v.end(), out.mutable_data());
             return out;
           })
      .def_property_readonly("status", [](const FibreMigrator& mig) {
        const MigrationStatus s = mig.status();
        py::dict d;
        d["iterations"] = s.iterations;
        d["overlapping_pairs"] = s.overlapping_pairs;
        d["max_overlap"] = s.max_overlap;
        d["mask_violations"] = s.mask_violations;
        d["resolved"] = s.resolved;
        d["scale"] = s.scale;
        return d;
      });

  py::class_<FibrePlacer>(m, "FibrePlacer")
      .def(py::init([](const std::array<std::int64_t, 3>& shape, double voxel_size, bool periodic,
                       const std::string& fibre_shape, double min_gap, const py::object& mask, double cell_size) {
             VolumeView<const std::uint8_t> view{};
             if (!mask.is_none()) view = volume_in<std::uint8_t>(mask, "mask");
             return std::make_unique<FibrePlacer>(fibre_grid(shape, voxel_size, periodic), bind::fibre_shape(fibre_shape),
                                                  min_gap, view, cell_size);
           }),
           py::arg("shape"), py::arg("voxel_size"), py::arg("periodic"), py::arg("fibre_shape"), py::arg("min_gap"),
           py::arg("mask"), py::arg("cell_size"), py::keep_alive<1, 7>())  // the placer reads the mask in place
      .def(
          "add",
          [](FibrePlacer& p, const py::handle& centre, const py::handle& direction, const py::handle& length,
             const py::handle& diameter) {
            const std::vector<Fibre> f = fibres_from_arrays(centre, direction, length, diameter);
            std::vector<std::uint8_t> clash;
            {
              py::gil_scoped_release release;
              clash = p.add(f);
            }
            py::array_t<bool> out(static_cast<py::ssize_t>(clash.size()));
            std::copy(clash.begin(), clash.end(), out.mutable_data());
            return out;
          },
          py::arg("centre"), py::arg("direction"), py::arg("length"), py::arg("diameter"))
      .def(
          "place",
          [](FibrePlacer& p, const py::handle& centre, const py::handle& direction, const py::handle& length,
             const py::handle& diameter, std::int64_t target_voxels, const py::object& key,
             const std::array<double, 3>& lo, const std::array<double, 3>& hi, std::int64_t tries,
             std::int64_t max_examined) {
            const std::vector<Fibre> f = fibres_from_arrays(centre, direction, length, diameter);
            CentreDraw draw;
            if (!key.is_none()) draw = CentreDraw{key.cast<std::uint64_t>(), lo, hi, tries};
            PlacementBatch batch;
            {
              py::gil_scoped_release release;
              batch = p.place(f, target_voxels, key.is_none() ? nullptr : &draw, max_examined);
            }
            const py::ssize_t n = static_cast<py::ssize_t>(batch.accepted.size());
            py::array_t<std::int64_t> accepted(n);
            std::copy(batch.accepted.begin(), batch.accepted.end(), accepted.mutable_data());
            py::array_t<double> centres({n, py::ssize_t(3)});
            for (py::ssize_t i = 0; i < n; ++i)
              for (int a = 0; a < 3; ++a) centres.mutable_data()[3 * i + a] = batch.centres[static_cast<std::size_t>(i)][a];
            return py::make_tuple(accepted, centres, batch.examined, batch.target_reached);
          },
          py::arg("centre"), py::arg("direction"), py::arg("length"), py::arg("diameter"), py::arg("target_voxels"),
          py::arg("key") = py::none(), py::arg("lo") = std::array<double, 3>{}, py::arg("hi") = std::array<double, 3>{},
          py::arg("tries") = 1, py::arg("max_examined") = std::numeric_limits<std::int64_t>::max(),
          "Returns (accepted fibre indices, their centres, tries examined, target reached). With `key`, "
          "centres are drawn in [lo, hi) (up to `tries` per fibre) instead of taken from `centre`.")
      .def(
          "overlaps",
          [](const FibrePlacer& p, const py::handle& centre, const py::handle& direction, const py::handle& length,
             const py::handle& diameter) {
            const std::vector<Fibre> f = fibres_from_arrays(centre, direction, length, diameter);
            py::array_t<bool> out(static_cast<py::ssize_t>(f.size()));
            for (std::size_t i = 0; i < f.size(); ++i) out.mutable_data()[i] = p.overlaps(f[i]);
            return out;
          },
          py::arg("centre"), py::arg("direction"), py::arg("length"), py::arg("diameter"))
      .def("fibres", [](const FibrePlacer& p) { return fibre_arrays(p.fibres()); })
      .def_property_readonly("voxel_counts",
                             [](const FibrePlacer& p) {
                               const auto& c = p.voxel_counts();
                               py::array_t<std::int64_t> out(static_cast<py::ssize_t>(c.size()));
                               std::copy(c.begin(), c.end(), out.mutable_data());
                               return out;
                             })
      .def_property_readonly("fibre_voxels", &FibrePlacer::fibre_voxels)
      .def_property_readonly("stats", [](const FibrePlacer& p) {
        const PlacementStats& s = p.stats();
        py::dict d;
        d["examined"] = s.examined;
        d["accepted"] = s.accepted;
        d["rejected_overlap"] = s.rejected_overlap;
        d["rejected_mask"] = s.rejected_mask;
        d["rejected_empty"] = s.rejected_empty;
        d["abandoned"] = s.abandoned;
        return d;
      });
}

}  // namespace voxtwin::bind
