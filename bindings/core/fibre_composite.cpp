#include "fibre_composite_args.hpp"
#include "registry.hpp"

namespace voxtwin::bind {

void bind_fibre_composite(pybind11::module_& m) {
  def_fibre_composite(m, &fibre_composite_cells,
                      "Composite cells (cx, cy, cz, 24) of the coarse grid straight from the fibres (CPU); see "
                      "voxtwin/fibre_composite.hpp.");
}

}  // namespace voxtwin::bind
