// The distributed CPU solver: the serial hexahedral CG (detail::mixed_pcg over detail::CpuOps) on
// this rank's slab, with ghost-plane exchange, ordered MPI reductions and FFTW-MPI preconditioning.
#include <chrono>

#include "elasticity_solvers.hpp"
#include "hex_cg_ops.hpp"
#include "mpi_slab.hpp"
#include "reference_preconditioner_mpi.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/mixed_pcg.hpp"
#include "voxtwin/elasticity_mpi.hpp"

namespace voxtwin::mpi {

namespace {

template <class T, class L, bool Full>
ElasticityResult run_slab(const Shape3& shape, const Slab& slab, const L* index, const MaterialTable& table,
                          const MacroLoading& loading, const ElasticityOptions& options,
                          const ElasticityFields<T>& fields) {
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t nyz = shape.ny * shape.nz;
  const Shape3 owned{slab.count, shape.ny, shape.nz};
  // Voxel counts per entry of the whole volume (integers: exact in any order); each rank checks its own planes.
  std::vector<std::uint64_t> counts;
  collective([&] { counts = detail::index_counts(VolumeView<const L>{index + nyz, owned}, table.size()); });
  MPI_Allreduce(MPI_IN_PLACE, counts.data(), static_cast<int>(counts.size()), MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
  const Matrix6 C0 = detail::reference_stiffness(table, counts);  // same counts on every rank: same outcome

  detail::PaddedGrid g = detail::padded_grid(slab.planes, shape.ny, shape.nz);
  const int threads = detail::solver_threads(owned);
  const PlaneReducer reducer(slab.count);
  SlabContext ctx{shape, detail::PlaneRange{1, 1 + slab.count, std::cref(reducer)}};
  const std::vector<detail::MaterialEntry<T>> entries = detail::material_entries<T>(table);
  T ih[3];
  for (int i = 0; i < 3; ++i) ih[i] = static_cast<T>(1.0 / options.voxel_size[i]);
  auto halo = [&](T* field) { exchange_ghosts(field, g, slab.count); };
  detail::CpuOps<T, L, Full, SlabReferencePreconditioner<T, Full>> ops(g, ctx.range, index, entries.data(), C0, ih,
                                                                       threads, halo, ctx);
  // The monitor may stop the iteration; every rank must stop together.
  ElasticityOptions opts = options;
  opts.monitor = [&options](int it, double res) {
    int go = options.monitor ? static_cast<int>(options.monitor(it, res)) : 1;
    MPI_Allreduce(MPI_IN_PLACE, &go, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return go != 0;
  };
  ElasticityResult result =
      detail::mixed_pcg(ops, detail::mixed_control(loading, C0), loading, opts, static_cast<double>(shape.size()));
  // mixed_pcg's last step (the stress sum) exchanged the ghost planes of the solution.
  if (fields.displacement || fields.strain || fields.stress)
    detail::slab_fields<T, L>(index, g, 1, 1 + slab.count, slab.x0, table, ops.solution(), result.mean_strain,
                              loading.delta_T, options, fields, threads);
  result.reference_C = C0;
  result.memory_bytes = slab_memory_bytes(shape, options.scheme, sizeof(T), sizeof(L), 0.0);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

template <class T, class L>
ElasticityResult solve_elasticity(const Shape3& shape, const L* index, const MaterialTable& table,
                                  const MacroLoading& loading, const ElasticityOptions& options,
                                  const ElasticityFields<T>& fields) {
  initialize();
  collective([&] {
    detail::check_elasticity_arguments(shape, table, loading, options);
    if (!index) throw std::invalid_argument("`labels` must not be null");
    if (options.scheme == ElasticityScheme::MoulinecSuquet)
      throw std::invalid_argument("the distributed solver runs the schemes 'hex8r' and 'hex8', got scheme='basic'");
  });
  const Slab slab = decompose(shape);
  // The index planes and the outputs are the caller's, already allocated (and checked by it with
  // require_slab_memory): what is left to allocate are the work arrays.
  require_slab_memory(shape, options.scheme, sizeof(T), sizeof(L), 0.0);
  if (options.scheme == ElasticityScheme::HexFull)
    return run_slab<T, L, true>(shape, slab, index, table, loading, options, fields);
  return run_slab<T, L, false>(shape, slab, index, table, loading, options, fields);
}

#define VOXTWIN_INSTANTIATE(T, L)                                                                            \
  template ElasticityResult solve_elasticity<T, L>(const Shape3&, const L*, const MaterialTable&,             \
                                                   const MacroLoading&, const ElasticityOptions&,             \
                                                   const ElasticityFields<T>&);
VOXTWIN_ELASTICITY_TYPES(VOXTWIN_INSTANTIATE)
#undef VOXTWIN_INSTANTIATE

}  // namespace voxtwin::mpi
