#pragma once
// Composite voxels from the fibre table: the voxel route (composite_voxels.hpp) needs a fine
// label volume; here every coarse voxel gets its fibre fraction and interface normal straight
// from the fibres' cylinders, so no fine grid is ever materialized and an assembly can be
// downsampled chunk by chunk from its fibre tables alone.
//
// Partial volume: a fixed midpoint quadrature of points^3 sub-points per coarse voxel (at
// ((i + (a + 0.5)/points) h, ...)), each tested with the rasterizer's own inside test
// (detail/fibre_solid.hpp), summed over the fibres and clamped to points^3 (exact for fibres that
// do not overlap). Normal: the surface normal of the fibre holding most sub-points of the voxel,
// at the point nearest to the voxel centre (radial from the axis on the mantle, axial at flat
// ends: detail::fibre_row_normal, shared with the voxel route's normals = "fibres").
// With `axes`, the cell's direction is instead the axis of that fibre (for laws built around the
// fibre axis, e.g. Mori–Tanaka of aligned cylinders).
// The cells have the layout of composite_cells (two labels: matrix and fibre, counts out of
// points^3), so composite_table and composite_laminates build the table from them unchanged.
#include <cstdint>
#include <vector>

#include "voxtwin/composite_voxels.hpp"
#include "voxtwin/fibres.hpp"

namespace voxtwin {

/// Largest quadrature (points per coarse-voxel edge): points^3 must fit a CompositeCell count.
constexpr int kMaxFibreCompositePoints = 16;

/// One CompositeCell per voxel of `grid` (the coarse grid: shape, coarse voxel size in µm,
/// periodic or cut at the faces), in C order, from `fibres` (µm, origin at the grid's outer
/// corner; pass a chunk's fibres shifted by the chunk's corner with periodic = false). `points`
/// in 1..16; `axes`: store the dominant fibre's axis instead of the interface normal. Deterministic and independent of the thread count. std::invalid_argument for a bad
/// grid, fibre, points or equal labels.
void fibre_composite_cells(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid, int points,
                           std::uint8_t matrix_label, std::uint8_t fibre_label, bool axes, CompositeCell* out);

namespace cuda {
/// CUDA twin (defined in libvoxtwin_cuda; byte-identical to the CPU; throws voxtwin::CudaError,
/// voxtwin::InsufficientMemory before allocating what does not fit).
void fibre_composite_cells(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid, int points,
                           std::uint8_t matrix_label, std::uint8_t fibre_label, bool axes, CompositeCell* out);
}  // namespace cuda

}  // namespace voxtwin
