#include "fibre_args.hpp"
#include "registry.hpp"
#include "voxtwin/fibres.hpp"

namespace voxtwin::bind {

void bind_cuda_fibres(pybind11::module_& m) {
  def_rasterize(
      m,
      [](const std::vector<Fibre>& f, FibreShape k, const FibreGrid& g, const RasterTargets& t) {
        cuda::rasterize_fibres(f, k, g, t);
      },
      "Rasterize fibres on the GPU; byte-identical to the CPU backend.");
}

}  // namespace voxtwin::bind
