// voxtwin._cuda: the CUDA backend. Imports on machines without a GPU; device_count() then says 0.
#include "registry.hpp"
#include "translators.hpp"

PYBIND11_MODULE(_cuda, m) {
  m.doc() = "voxtwin CUDA backend";
  voxtwin::bind::register_translators();
  voxtwin::bind::bind_cuda_device(m);
  voxtwin::bind::bind_cuda_phase_counts(m);
  voxtwin::bind::bind_cuda_fibres(m);
  voxtwin::bind::bind_cuda_elasticity(m);
  voxtwin::bind::bind_cuda_composite_voxels(m);
  voxtwin::bind::bind_cuda_fibre_composite(m);
  voxtwin::bind::bind_cuda_two_point(m);
  voxtwin::bind::bind_cuda_batched_homogenization(m);
  voxtwin::bind::bind_cuda_gaussian_field(m);
}
