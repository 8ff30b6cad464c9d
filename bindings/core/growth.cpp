#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "registry.hpp"
#include "voxtwin/growth.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_growth(py::module_& m) {
  m.def(
      "grow",
      [](py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast> allowed,
         py::array_t<std::int32_t, py::array::c_style | py::array::forcecast> group, int n_groups,
         const std::array<std::int64_t, 3>& shape,
         py::array_t<std::int32_t, py::array::c_style | py::array::forcecast> region,
         py::array_t<double, py::array::c_style | py::array::forcecast> frequency, std::uint64_t seed, bool periodic,
         std::int64_t max_repairs, int max_restarts) {
        GrowthRules rules;
        rules.n_blocks = static_cast<int>(group.size());
        rules.n_groups = n_groups;
        rules.allowed.assign(allowed.data(), allowed.data() + allowed.size());
        rules.group.assign(group.data(), group.data() + group.size());
        std::vector<std::int32_t> reg(region.data(), region.data() + region.size());
        std::vector<double> freq(frequency.data(), frequency.data() + frequency.size());
        const int n_regions = n_groups > 0 ? static_cast<int>(freq.size() / static_cast<std::size_t>(n_groups)) : 0;
        GrowthOptions opt{seed, periodic, max_repairs, max_restarts};
        GrowthResult res;
        {
          py::gil_scoped_release release;
          res = voxtwin::grow(rules, shape, reg, freq, n_regions, opt);
        }
        py::array_t<std::int32_t> blocks({shape[0], shape[1], shape[2]});
        std::copy(res.blocks.begin(), res.blocks.end(), blocks.mutable_data());
        return py::make_tuple(blocks, res.repairs, res.restarts, res.complete);
      },
      py::arg("allowed"), py::arg("group"), py::arg("n_groups"), py::arg("shape"), py::arg("region"),
      py::arg("frequency"), py::arg("seed"), py::arg("periodic") = false, py::arg("max_repairs") = -1,
      py::arg("max_restarts") = 10,
      "Virtual growth: (blocks int32 [gx, gy, gz], repairs, restarts, complete). `allowed`: uint8 [6, n, n] "
      "(faces +x -x +y -y +z -z); `group`: int32 [n]; `region`: int32 per cell (-1 void); `frequency`: "
      "float64 [n_regions, n_groups].");
}

}  // namespace voxtwin::bind
