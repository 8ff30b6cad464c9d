#include "composite_args.hpp"
#include "registry.hpp"
#include "voxtwin/composite_voxels.hpp"

namespace voxtwin::bind {

void bind_cuda_composite_voxels(pybind11::module_& m) {
  def_composite_kernels(m, &cuda::composite_cells, &cuda::majority_vote, "CUDA, byte-identical to the CPU");
}

}  // namespace voxtwin::bind
