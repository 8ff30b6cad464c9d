#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "elasticity_args.hpp"
#include "registry.hpp"
#include "voxtwin/elasticity.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

namespace {

template <class L>
py::dict run_cuda(const py::handle& index, const MaterialTable& table, const MacroLoading& loading,
                  const ElasticityOptions& options, bool want_u, bool want_strain, bool want_stress) {
  const auto view = volume_in<L>(index, "labels");
  ElasticityFields<float> f;
  py::object u = field_array<float>(want_u, 3, view.shape, &f.displacement);
  py::object e = field_array<float>(want_strain, 6, view.shape, &f.strain);
  py::object s = field_array<float>(want_stress, 6, view.shape, &f.stress);
  ElasticityResult r;
  {
    py::gil_scoped_release release;
    r = cuda::solve_elasticity<L>(view, table, loading, options, f);
  }
  py::dict d = result_dict(r);
  d["displacement"] = u;
  d["strain"] = e;
  d["stress"] = s;
  return d;
}

}  // namespace

void bind_cuda_elasticity(py::module_& m) {
  m.def(
      "elasticity_memory_bytes",
      [](std::int64_t nx, std::int64_t ny, std::int64_t nz, const std::string& scheme, int index_bytes) {
        return cuda::elasticity_memory_bytes(Shape3{nx, ny, nz}, scheme_from(scheme), index_bytes);
      },
      py::arg("nx"), py::arg("ny"), py::arg("nz"), py::arg("scheme"), py::arg("index_bytes"),
      "Bytes of device memory the CUDA elasticity solver needs (cuFFT work area estimated).");
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
        if (py::isinstance<py::array>(index) &&
            py::reinterpret_borrow<py::array>(index).dtype().equal(py::dtype::of<std::uint16_t>()))
          return run_cuda<std::uint16_t>(index, table, loading, options, want_u, want_strain, want_stress);
        return run_cuda<std::uint8_t>(index, table, loading, options, want_u, want_strain, want_stress);
      },
      py::arg("labels"), py::arg("C"), py::arg("alpha"), py::arg("strain"), py::arg("stress"),
      py::arg("stress_controlled"), py::arg("delta_T"), py::arg("scheme"), py::arg("tol"), py::arg("max_iter"),
      py::arg("voxel_size"), py::arg("want_displacement"), py::arg("want_strain"), py::arg("want_stress"),
      py::arg("monitor") = py::none(),
      "Solves the periodic (thermo-)elastic cell problem on the GPU in float32; returns a dict.");
}

}  // namespace voxtwin::bind
