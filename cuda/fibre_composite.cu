// CUDA twin of cpp/src/fibre_composite.cpp: one thread block per fibre (its threads over the
// fibre's columns, as cuda/fibre_raster.cu) adds the quadrature's sub-points to each coarse voxel
// and keeps the dominant fibre's key with an atomic maximum; one thread per voxel then builds the
// cell. The sub-point tests, keys and cells come from the same headers as the CPU's, and integer
// sums and a maximum do not depend on the order of the atomics, so the bytes are the CPU's.
#include <algorithm>
#include <string>
#include <vector>

#include "check.cuh"
#include "fibre_columns.cuh"
#include "voxtwin/detail/fibre_composite_cell.hpp"
#include "voxtwin/errors.hpp"
#include "voxtwin/fibre_composite.hpp"

namespace voxtwin::cuda {

namespace {

using detail::FibreSolid;
using detail::GridGeom;

struct CountWriter {
  const FibreSolid* f;
  unsigned int* inside;
  unsigned long long* top;
  std::int64_t fibre;
  int points;
  double h;
  __device__ bool operator()(std::int64_t idx, std::int64_t i, std::int64_t j, std::int64_t k, bool) const {
    const int c = detail::subpoints_inside(*f, i, j, k, h, points);
    if (c) {
      atomicAdd(&inside[idx], static_cast<unsigned int>(c));
      atomicMax(&top[idx], static_cast<unsigned long long>(detail::composite_key(c, fibre)));
    }
    return true;
  }
};

__global__ void count_kernel(const FibreSolid* __restrict__ solids, std::int64_t count, GridGeom g,
                             unsigned int* inside, unsigned long long* top, int points) {
  for (std::int64_t n = blockIdx.x; n < count; n += gridDim.x) {
    const FibreSolid s = solids[n];
    if (s.lo[0] > s.hi[0] || s.lo[1] > s.hi[1] || s.lo[2] > s.hi[2]) continue;
    CountWriter write{&s, inside, top, n, points, g.h};
    cuda_detail::visit_fibre_columns(s, g, true, write);
  }
}

__global__ void cell_kernel(std::int64_t total, const unsigned int* __restrict__ inside,
                            const unsigned long long* __restrict__ top, detail::FibreCellParams q, CompositeCell* out) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    out[i] = detail::fibre_composite_cell(inside[i], top[i], i, q);
}

template <class T>
void upload(cuda_detail::DeviceBuffer<T>& d, const std::vector<T>& host) {
  if (!host.empty()) VOXTWIN_CUDA_CHECK(cudaMemcpy(d.get(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
}

}  // namespace

void fibre_composite_cells(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid, int points,
                           std::uint8_t matrix_label, std::uint8_t fibre_label, bool axes, CompositeCell* out) {
  detail::check_fibre_composite_arguments(fibres, shape, grid, points, matrix_label, fibre_label);
  const GridGeom g = detail::make_grid(grid);
  const std::int64_t total = grid.shape.size();
  const std::size_t n = static_cast<std::size_t>(total);
  std::vector<FibreSolid> solids(fibres.size());
  const double grow = detail::candidate_growth(g.h, true);
  for (std::size_t i = 0; i < fibres.size(); ++i) solids[i] = detail::make_solid(fibres[i], shape, g, grow);
  const detail::FibreAxesTable t = detail::axes_table(fibres, solids, g.h);

  // Check the memory before allocating: counts, keys and cells per voxel plus the fibre records.
  const double needed = double(n) * (4.0 + 8.0 + sizeof(CompositeCell)) +
                        double(solids.size()) * (sizeof(FibreSolid) + 8.0 * sizeof(double));
  cuda_detail::require_free_memory(needed, "fibre_composite_cells");

  cuda_detail::DeviceBuffer<FibreSolid> d_solids(solids.size());
  cuda_detail::DeviceBuffer<double> d_centres(t.centres.size()), d_directions(t.directions.size()),
      d_halves(t.halves.size()), d_radii(t.radii.size());
  upload(d_solids, solids);
  upload(d_centres, t.centres);
  upload(d_directions, t.directions);
  upload(d_halves, t.halves);
  upload(d_radii, t.radii);
  cuda_detail::DeviceBuffer<unsigned int> d_inside(n);
  cuda_detail::DeviceBuffer<unsigned long long> d_top(n);
  cuda_detail::DeviceBuffer<CompositeCell> d_cells(n);
  VOXTWIN_CUDA_CHECK(cudaMemset(d_inside.get(), 0, n * sizeof(unsigned int)));
  VOXTWIN_CUDA_CHECK(cudaMemset(d_top.get(), 0, n * sizeof(unsigned long long)));
  if (!solids.empty()) {
    const int blocks = static_cast<int>(std::min<std::size_t>(solids.size(), 1u << 30));
    count_kernel<<<blocks, 128>>>(d_solids.get(), static_cast<std::int64_t>(solids.size()), g, d_inside.get(),
                                  d_top.get(), points);
    VOXTWIN_CUDA_CHECK_LAUNCH();
  }
  detail::FibreCellParams q = detail::cell_params(t, shape, grid, points, matrix_label, fibre_label, axes);
  q.axes.centres = d_centres.get();
  q.axes.directions = d_directions.get();
  q.axes.half_lengths = d_halves.get();
  q.axes.radii = d_radii.get();
  const int blocks = static_cast<int>(std::min<std::int64_t>((total + 255) / 256, 65536));
  cell_kernel<<<blocks, 256>>>(total, d_inside.get(), d_top.get(), q, d_cells.get());
  VOXTWIN_CUDA_CHECK_LAUNCH();
  VOXTWIN_CUDA_CHECK(cudaMemcpy(out, d_cells.get(), n * sizeof(CompositeCell), cudaMemcpyDeviceToHost));
}

}  // namespace voxtwin::cuda
