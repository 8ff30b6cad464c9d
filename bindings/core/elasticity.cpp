#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <type_traits>

#include "elasticity_args.hpp"
#include "registry.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/elasticity.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

namespace {

template <class T>
py::dict run_index(const py::handle& index, const MaterialTable& table, const MacroLoading& loading,
                   const ElasticityOptions& options, bool want_u, bool want_strain, bool want_stress) {
  auto solve = [&](const auto& view, const ElasticityFields<T>& f) {
    using L = std::remove_const_t<std::remove_pointer_t<decltype(view.data)>>;
    return solve_elasticity<T, L>(view, table, loading, options, f);
  };
  if (is_uint16(index)) return run_solver<T, std::uint16_t>(index, want_u, want_strain, want_stress, solve);
  return run_solver<T, std::uint8_t>(index, want_u, want_strain, want_stress, solve);
}

}  // namespace

void bind_elasticity(py::module_& m) {
  m.def(
      "elasticity_memory_bytes",
      [](std::int64_t nx, std::int64_t ny, std::int64_t nz, const std::string& scheme, int real_bytes, int threads) {
        return elasticity_memory_bytes(Shape3{nx, ny, nz}, scheme_from(scheme), real_bytes, threads);
      },
      py::arg("nx"), py::arg("ny"), py::arg("nz"), py::arg("scheme"), py::arg("real_bytes"), py::arg("threads"),
      "Bytes of work arrays the CPU elasticity solver allocates.");
  m.def("available_host_memory", &detail::available_host_memory, "Bytes of RAM available to this process now.");
  m.def(
      "solve_elasticity",
      [](const py::handle& index, const py::array_t<double, py::array::c_style | py::array::forcecast>& C,
         const py::array_t<double, py::array::c_style | py::array::forcecast>& alpha, const Vector6& strain,
         const Vector6& stress, const std::array<bool, 6>& stress_controlled, double delta_T, const std::string& scheme,
         double tol, int max_iter, const Eigen::Vector3d& voxel_size, const std::string& precision, bool want_u,
         bool want_strain, bool want_stress, const py::object& monitor) {
        const MaterialTable table = table_from_arrays(C, alpha);
        const MacroLoading loading = loading_from(strain, stress, stress_controlled, delta_T);
        const ElasticityOptions options = options_from(scheme, tol, max_iter, voxel_size, monitor);
        if (precision == "float64")
          return run_index<double>(index, table, loading, options, want_u, want_strain, want_stress);
        if (precision == "float32")
          return run_index<float>(index, table, loading, options, want_u, want_strain, want_stress);
        throw py::value_error("`precision` must be 'float32' or 'float64', got precision='" + precision + "'");
      },
      py::arg("labels"), py::arg("C"), py::arg("alpha"), py::arg("strain"), py::arg("stress"),
      py::arg("stress_controlled"), py::arg("delta_T"), py::arg("scheme"), py::arg("tol"), py::arg("max_iter"),
      py::arg("voxel_size"), py::arg("precision"), py::arg("want_displacement"), py::arg("want_strain"),
      py::arg("want_stress"), py::arg("monitor") = py::none(),
      "Solves the periodic (thermo-)elastic cell problem on the CPU; returns a dict (see voxtwin.simulate).");
}

}  // namespace voxtwin::bind
