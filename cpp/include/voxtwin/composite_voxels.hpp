#pragma once
// Composite voxels, step 1: downsampling. Every coarse voxel (factor^3 fine voxels) gets the
// fine labels it holds with their voxel counts (exact phase fractions) and, where two or more
// phases meet, an interface normal taken from the fine geometry or from the fibre axes.
// The quantized table of distinct laminates is built from these cells (composite_table.hpp).
//
// Interface normal ("geometry"): the sum over the block of the central-difference gradient of
// the phase indicator, i.e. a discrete integral of grad(chi) over the coarse voxel. By the
// divergence theorem that integral is the area-weighted mean normal of the interface in the
// voxel, exact for a plane in the continuum; it telescopes to the indicator on the two fine
// layers at each face of the block (one of them in the neighbouring block: a 1-voxel halo,
// wrapped when `periodic`, else clamped). Two phases: the indicator of the first label. Three
// or more: the field w(label) (`weights`, integers, e.g. a scaled stiffness measure), whose
// gradient points across the stiffness jumps. Integer sums make the normal exact and identical
// on CPU and GPU. Where that sum vanishes (symmetric blocks, features thinner than
// the block) the normal is the axis along which w's second moment departs most from a uniform
// block, and e_x if none does.
//
// Interface normal ("fibres"): with fibre instance labels and the fibres' axes, the normal of
// the fibre holding most voxels of the block at the point nearest to the block centre: the
// radial direction from the axis (exact for a cylinder), or along the axis near a flat end face
// (from the centre of a hemispherical end of a spherocylinder) when the fibre's length and radius
// are known. Blocks without a listed fibre use "geometry".
#include <array>
#include <cstdint>
#include <vector>

#include "voxtwin/volume.hpp"

namespace voxtwin {

/// Most labels one coarse voxel may hold.
constexpr int kCompositeSlots = 4;
/// Largest downsampling factor (counts fit uint16; work per coarse voxel stays small).
constexpr int kMaxCompositeFactor = 16;

/// One coarse voxel before quantization. Slots are sorted by label; unused slots have count 0.
/// count[0] == 0 marks a block with more than kCompositeSlots labels (rejected by the caller).
struct CompositeCell {
  std::uint8_t label[kCompositeSlots];
  std::uint16_t count[kCompositeSlots];
  float normal[3];  ///< unnormalized interface normal (fine-voxel units); 0 for a pure block
};

/// Fibre axes for normals = "fibres", in fine-voxel units: voxel (i, j, k) spans
/// [i, i+1) x [j, j+1) x [k, k+1). Row r describes instance label r + 1.
struct FibreAxes {
  std::vector<double> centre;       ///< 3 per fibre: the axis midpoint
  std::vector<double> direction;    ///< 3 per fibre: axis direction (any non-zero length)
  std::vector<double> half_length;  ///< per fibre: half-length of the axis segment, or empty: infinite cylinders
  std::vector<double> radius;       ///< per fibre, or empty (needed with half_length)
  bool rounded = false;             ///< spherocylinders (hemispherical ends) instead of flat end faces
  std::int64_t size() const { return static_cast<std::int64_t>(centre.size() / 3); }
  bool capped() const { return !half_length.empty(); }
};

struct CompositeOptions {
  int factor = 4;                           ///< fine voxels per coarse voxel along each axis, 1..16
  bool periodic = true;                     ///< wrap the 1-voxel halo of boundary blocks (else clamp)
  std::array<std::int32_t, 256> weights{};  ///< per label, for normals of blocks with 3+ labels (|w| <= 2^20)
  const std::uint32_t* instances = nullptr; ///< optional fibre instance labels, shape of `labels`
  FibreAxes fibres;                         ///< axes of the instances (used with `instances`)
};

/// Coarse grid of `fine` for `factor`; std::invalid_argument unless every extent is divisible.
Shape3 coarse_shape(const Shape3& fine, int factor);

/// Checks `options` for a fine grid `fine` (factor, divisibility, fibre table, weights) and
/// returns the coarse grid; std::invalid_argument naming the offending argument.
Shape3 composite_grid(const Shape3& fine, const CompositeOptions& options);

/// One CompositeCell per coarse voxel, written to `out` in C order of the coarse grid (CPU,
/// OpenMP). Deterministic and independent of the thread count.
void composite_cells(const VolumeView<const std::uint8_t>& labels, const CompositeOptions& options,
                     CompositeCell* out);

/// Majority-vote downsampling (the plain baseline): the most frequent label of each block,
/// the smallest label on ties. `out` holds the coarse grid.
void majority_vote(const VolumeView<const std::uint8_t>& labels, int factor, std::uint8_t* out);

namespace cuda {
/// CUDA twins (defined in libvoxtwin_cuda; byte-identical to the CPU; throw voxtwin::CudaError).
void composite_cells(const VolumeView<const std::uint8_t>& labels, const CompositeOptions& options,
                     CompositeCell* out);
void majority_vote(const VolumeView<const std::uint8_t>& labels, int factor, std::uint8_t* out);
}  // namespace cuda

}  // namespace voxtwin
