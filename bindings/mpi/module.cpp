// voxtwin._mpi: the distributed CPU solver (MPI_COMM_WORLD). Thin wrappers only; logic lives in cpp/mpi.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "elasticity_args.hpp"
#include "translators.hpp"
#include "voxtwin/elasticity_mpi.hpp"
#include "voxtwin/version.hpp"

namespace py = pybind11;

namespace voxtwin::bind {
namespace {

template <class T, class L>
py::dict run_slab(const py::array& index, const Shape3& shape, const MaterialTable& table, const MacroLoading& loading,
                  const ElasticityOptions& options, bool want_u, bool want_strain, bool want_stress) {
  const auto view = volume_in<L>(index, "labels");
  if (view.shape.nx != 0 && (view.shape.ny != shape.ny || view.shape.nz != shape.nz))
    throw py::value_error("the index slab must have the volume's (ny, nz), got " + shape_string(index));
  const Shape3 owned{view.shape.nx - 1, shape.ny, shape.nz};
  ElasticityFields<T> f;
  py::object u = field_array<T>(want_u, 3, owned, &f.displacement);
  py::object e = field_array<T>(want_strain, 6, owned, &f.strain);
  py::object s = field_array<T>(want_stress, 6, owned, &f.stress);
  ElasticityResult r;
  {
    py::gil_scoped_release release;
    r = mpi::solve_elasticity<T, L>(shape, view.data, table, loading, options, f);
  }
  py::dict d = result_dict(r);
  d["displacement"] = u;
  d["strain"] = e;
  d["stress"] = s;
  return d;
}

template <class T>
py::dict run_index(const py::array& index, const Shape3& shape, const MaterialTable& table, const MacroLoading& loading,
                   const ElasticityOptions& options, bool want_u, bool want_strain, bool want_stress) {
  if (is_uint16(index)) return run_slab<T, std::uint16_t>(index, shape, table, loading, options, want_u, want_strain, want_stress);
  return run_slab<T, std::uint8_t>(index, shape, table, loading, options, want_u, want_strain, want_stress);
}

}  // namespace
}  // namespace voxtwin::bind

PYBIND11_MODULE(_mpi, m) {
  using namespace voxtwin;
  using namespace voxtwin::bind;
  m.doc() = "voxtwin distributed CPU solver (MPI slab decomposition, FFTW-MPI)";
  m.attr("__version__") = voxtwin::version();
  register_translators();
  m.def("initialize", &mpi::initialize, "Initializes MPI (when not yet) and FFTW-MPI.");
  m.def(
      "decompose",
      [](std::int64_t nx, std::int64_t ny, std::int64_t nz) {
        const mpi::Slab s = mpi::decompose(Shape3{nx, ny, nz});
        py::dict d;
        d["rank"] = s.rank;
        d["ranks"] = s.ranks;
        d["x0"] = s.x0;
        d["count"] = s.count;
        return d;
      },
      py::arg("nx"), py::arg("ny"), py::arg("nz"), "This rank's x-slab (collective).");
  m.def(
      "slab_memory_bytes",
      [](std::int64_t nx, std::int64_t ny, std::int64_t nz, const std::string& scheme, int real_bytes, int index_bytes,
         double field_reals) {
        return mpi::slab_memory_bytes(Shape3{nx, ny, nz}, scheme_from(scheme), real_bytes, index_bytes, field_reals);
      },
      py::arg("nx"), py::arg("ny"), py::arg("nz"), py::arg("scheme"), py::arg("real_bytes"), py::arg("index_bytes"),
      py::arg("field_reals_per_voxel"), "Bytes this rank needs for its slab (collective).");
  m.def("rank_available_memory", &mpi::rank_available_memory,
        "Bytes available to this rank (node memory / ranks on the node, capped by VOXTWIN_MEMORY_LIMIT).");
  m.def(
      "require_slab_memory",
      [](std::int64_t nx, std::int64_t ny, std::int64_t nz, const std::string& scheme, int real_bytes, int index_bytes,
         double field_reals) {
        mpi::require_slab_memory(Shape3{nx, ny, nz}, scheme_from(scheme), real_bytes, index_bytes, field_reals);
      },
      py::arg("nx"), py::arg("ny"), py::arg("nz"), py::arg("scheme"), py::arg("real_bytes"), py::arg("index_bytes"),
      py::arg("field_reals_per_voxel"), "Collective memory check; InsufficientMemoryError on every rank.");
  m.def(
      "solve_elasticity",
      [](const py::array& index, const std::array<std::int64_t, 3>& shape,
         const py::array_t<double, py::array::c_style | py::array::forcecast>& C,
         const py::array_t<double, py::array::c_style | py::array::forcecast>& alpha, const Vector6& strain,
         const Vector6& stress, const std::array<bool, 6>& stress_controlled, double delta_T, const std::string& scheme,
         double tol, int max_iter, const Eigen::Vector3d& voxel_size, const std::string& precision, bool want_u,
         bool want_strain, bool want_stress, const py::object& monitor) {
        const MaterialTable table = table_from_arrays(C, alpha);
        const MacroLoading loading = loading_from(strain, stress, stress_controlled, delta_T);
        const ElasticityOptions options = options_from(scheme, tol, max_iter, voxel_size, monitor);
        const Shape3 s{shape[0], shape[1], shape[2]};
        if (precision == "float64") return run_index<double>(index, s, table, loading, options, want_u, want_strain, want_stress);
        if (precision == "float32") return run_index<float>(index, s, table, loading, options, want_u, want_strain, want_stress);
        throw py::value_error("`precision` must be 'float32' or 'float64', got precision='" + precision + "'");
      },
      py::arg("index_slab"), py::arg("shape"), py::arg("C"), py::arg("alpha"), py::arg("strain"), py::arg("stress"),
      py::arg("stress_controlled"), py::arg("delta_T"), py::arg("scheme"), py::arg("tol"), py::arg("max_iter"),
      py::arg("voxel_size"), py::arg("precision"), py::arg("want_displacement"), py::arg("want_strain"),
      py::arg("want_stress"), py::arg("monitor") = py::none(),
      "Solves the cell problem of the whole volume from this rank's index planes x0-1 .. x0+count-1 "
      "(collective); fields of the owned planes.");
}
