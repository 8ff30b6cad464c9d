#pragma once
// The block-level walk over one fibre's columns shared by the CUDA rasterizer and the composite
// cells from the fibre table: the block's threads take the (plane, row) pairs of the fibre's
// bounding box, each walking one column with detail::visit_column (the CPU's voxel decisions).
#include "voxtwin/detail/fibre_solid.hpp"

namespace voxtwin::cuda_detail {

template <class Visit>
__device__ void visit_fibre_columns(const detail::FibreSolid& s, const detail::GridGeom& g, bool all_candidates,
                                    Visit& visit) {
  const int p = s.ax[0], q = s.ax[1];
  const std::int64_t rows = s.hi[q] - s.lo[q] + 1;
  const std::int64_t columns = (s.hi[p] - s.lo[p] + 1) * rows;
  for (std::int64_t c = threadIdx.x; c < columns; c += blockDim.x) {
    const std::int64_t i = s.lo[p] + c / rows, j = s.lo[q] + c % rows;
    std::int64_t j0 = 0, j1 = -1;
    if (detail::plane_range(s, i, g.h, j0, j1) && j >= j0 && j <= j1)
      detail::visit_column(s, g, i, j, all_candidates, visit);
  }
}

}  // namespace voxtwin::cuda_detail
