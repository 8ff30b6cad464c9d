// voxtwin._core: the CPU backend. Thin wrappers only; logic lives in cpp/.
#include "registry.hpp"
#include "translators.hpp"
#include "voxtwin/version.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "voxtwin C++ core (CPU backend)";
  m.attr("__version__") = voxtwin::version();
  voxtwin::bind::register_translators();
  voxtwin::bind::bind_materials(m);
  voxtwin::bind::bind_phase_counts(m);
  voxtwin::bind::bind_parallel(m);
  voxtwin::bind::bind_paste(m);
  voxtwin::bind::bind_fibres(m);
  voxtwin::bind::bind_elasticity(m);
  voxtwin::bind::bind_laminate(m);
  voxtwin::bind::bind_composite_voxels(m);
  voxtwin::bind::bind_fibre_composite(m);
  voxtwin::bind::bind_growth(m);
  voxtwin::bind::bind_two_point(m);
  voxtwin::bind::bind_run_lengths(m);
  voxtwin::bind::bind_euler_characteristic(m);
  voxtwin::bind::bind_gaussian_field(m);
  voxtwin::bind::bind_batched_homogenization(m);
  voxtwin::bind::bind_cluster_correlation(m);
}
