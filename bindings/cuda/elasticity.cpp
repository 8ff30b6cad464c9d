#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <type_traits>

#include "elasticity_args.hpp"
#include "registry.hpp"
#include "voxtwin/elasticity.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_cuda_elasticity(py::module_& m) {
  m.def(
      "elasticity_memory_bytes",
      [](std::int64_t nx, std::int64_t ny, std::int64_t nz, const std::string& scheme, int index_bytes,
         bool with_fields) {
        return cuda::elasticity_memory_bytes(Shape3{nx, ny, nz}, scheme_from(scheme), index_bytes, with_fields);
      },
      py::arg("nx"), py::arg("ny"), py::arg("nz"), py::arg("scheme"), py::arg("index_bytes"),
      py::arg("with_fields") = false,
      "Bytes of device memory the CUDA elasticity solver needs (cuFFT work area from cufftGetSizeMany64).");
  m.def(
      "cufft_work_bytes",
      [](std::int64_t nx, std::int64_t ny, std::int64_t nz) { return cuda::cufft_work_bytes(Shape3{nx, ny, nz}); },
      py::arg("nx"), py::arg("ny"), py::arg("nz"),
      "Bytes of the solver's cuFFT work area for an nx x ny x nz grid (cufftGetSizeMany64).");
  m.def(
      "solve_elasticity",
      [](const py::handle& index, const py::array_t<double, py::array::c_style | py::array::forcecast>& C,
         const py::array_t<double, py::array::c_style | py::array::forcecast>& alpha, const Vector6& strain,
         const Vector6& stress, const std::array<bool, 6>& stress_controlled, double delta_T, const std::string& scheme,
         double tol, int max_iter, const Eigen::Vector3d& voxel_size, bool want_u, bool want_strain, bool want_stress,
         const py::object& monitor) {
        const MaterialTable table = table_from_arrays(C, alpha);
        const MacroLoading loading = loading_from(strain, stress, stress_controlled, delta_T);
        const ElasticityOptions options = options_from(scheme, tol, max_iter, voxel_size, monitor);
        auto solve = [&](const auto& view, const ElasticityFields<float>& f) {
          using L = std::remove_const_t<std::remove_pointer_t<decltype(view.data)>>;
          return cuda::solve_elasticity<L>(view, table, loading, options, f);
        };
        if (is_uint16(index)) return run_solver<float, std::uint16_t>(index, want_u, want_strain, want_stress, solve);
        return run_solver<float, std::uint8_t>(index, want_u, want_strain, want_stress, solve);
      },
      py::arg("labels"), py::arg("C"), py::arg("alpha"), py::arg("strain"), py::arg("stress"),
      py::arg("stress_controlled"), py::arg("delta_T"), py::arg("scheme"), py::arg("tol"), py::arg("max_iter"),
      py::arg("voxel_size"), py::arg("want_displacement"), py::arg("want_strain"), py::arg("want_stress"),
      py::arg("monitor") = py::none(),
      "Solves the periodic (thermo-)elastic cell problem on the GPU in float32; returns a dict.");
}

}  // namespace voxtwin::bind
