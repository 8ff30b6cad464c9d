// Public entry of the CPU elasticity solver: checks, the memory check before any allocation,
// scheme dispatch, and the local fields.
#include "voxtwin/elasticity.hpp"

#include "aligned_buffer.hpp"
#include "elasticity_solvers.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

double elasticity_memory_bytes(const Shape3& shape, ElasticityScheme scheme, int real_bytes, int threads) {
  require_valid_shape(shape, "shape");
  if (scheme == ElasticityScheme::MoulinecSuquet) return detail::basic_scheme_memory_bytes(shape, real_bytes, threads);
  return detail::hex_cg_memory_bytes(shape, scheme == ElasticityScheme::HexFull, real_bytes, threads);
}

template <class T, class L>
ElasticityResult solve_elasticity(const VolumeView<const L>& index, const MaterialTable& table,
                                  const MacroLoading& loading, const ElasticityOptions& options,
                                  const ElasticityFields<T>& fields) {
  detail::check_elasticity_arguments(index.shape, table, loading, options);
  if (!index.data) throw std::invalid_argument("`labels` must not be null");
  const bool basic = options.scheme == ElasticityScheme::MoulinecSuquet;
  const double n = static_cast<double>(index.size());
  double needed = elasticity_memory_bytes(index.shape, options.scheme, sizeof(T), detail::solver_threads(index.shape));
  // The CG schemes need the displacement for strain or stress; the basic scheme needs the strain for stress.
  const bool temp_u = !basic && !fields.displacement && (fields.strain || fields.stress);
  const bool temp_strain = basic && !fields.strain && fields.stress;
  if (temp_u) needed += 3.0 * n * sizeof(T);
  if (temp_strain) needed += 6.0 * n * sizeof(T);
  detail::require_memory(needed, detail::available_host_memory(), "host");

  const std::vector<std::uint64_t> counts = detail::index_counts(index, table.size());
  ElasticityFields<T> out = fields;
  detail::AlignedBuffer<T> scratch;
  if (temp_u || temp_strain) scratch = detail::AlignedBuffer<T>(static_cast<std::size_t>((temp_u ? 3 : 6) * n));
  if (basic) {
    if (temp_strain) out.strain = scratch.get();
    ElasticityResult result = detail::basic_scheme_solve<T, L>(index, table, loading, options, counts, out.strain);
    if (out.stress) elasticity_fields<T, L>(index, table, nullptr, result.mean_strain, loading.delta_T, options, out);
    return result;
  }
  T* u = fields.displacement ? fields.displacement : (temp_u ? scratch.get() : nullptr);
  ElasticityResult result = detail::hex_cg_solve<T, L>(index, table, loading, options, counts, u);
  if (u) elasticity_fields<T, L>(index, table, u, result.mean_strain, loading.delta_T, options, out);
  return result;
}

#define VOXTWIN_INSTANTIATE(T, L)                                                                                   \
  template ElasticityResult solve_elasticity<T, L>(const VolumeView<const L>&, const MaterialTable&,                \
                                                   const MacroLoading&, const ElasticityOptions&,                  \
                                                   const ElasticityFields<T>&);
VOXTWIN_ELASTICITY_TYPES(VOXTWIN_INSTANTIATE)
#undef VOXTWIN_INSTANTIATE

}  // namespace voxtwin
