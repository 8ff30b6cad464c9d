#include "fibre_composite_args.hpp"
#include "registry.hpp"

namespace voxtwin::bind {

void bind_cuda_fibre_composite(pybind11::module_& m) {
  def_fibre_composite(m, &cuda::fibre_composite_cells,
                      "Composite cells from the fibres on the GPU; byte-identical to the CPU backend.");
}

}  // namespace voxtwin::bind
