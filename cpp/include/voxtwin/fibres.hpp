#pragma once
// Straight fibres (cylinders or spherocylinders) in a voxel grid: the fibre record, placement
// without overlap (random sequential adsorption), and rasterization on the CPU (OpenMP) with a
// CUDA twin (namespace voxtwin::cuda, defined in libvoxtwin_cuda).
//
// Coordinates are in µm with the origin at the outer corner of voxel (0, 0, 0): voxel (i, j, k)
// has its centre at ((i + 0.5) h, (j + 0.5) h, (k + 0.5) h) for voxel size h. A voxel belongs to a
// fibre when its centre lies inside the solid (boundary included). In a periodic grid a fibre that
// crosses a face continues on the opposite face; otherwise it is cut by the faces.
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "voxtwin/volume.hpp"

namespace voxtwin {

/// Solid of a fibre: a cylinder with flat ends, or a spherocylinder (cylinder with hemispherical caps).
enum class FibreShape : std::uint8_t { Cylinder = 0, Spherocylinder = 1 };

/// One straight fibre.
struct Fibre {
  std::array<double, 3> centre{};     ///< midpoint of the axis (µm)
  std::array<double, 3> direction{};  ///< unit axis vector; its sign carries no meaning
  /// µm. Cylinder: axis length between the flat end faces. Spherocylinder: tip-to-tip length
  /// including both caps (>= diameter), i.e. the longest chord, as characterization measures it.
  double length = 0.0;
  double diameter = 0.0;  ///< µm
};

/// The voxel grid fibres live in.
struct FibreGrid {
  Shape3 shape;             ///< voxels along X, Y, Z
  double voxel_size = 1.0;  ///< µm per voxel (cubic voxels)
  bool periodic = true;     ///< wrap fibres across opposite faces
};

/// Throws std::invalid_argument unless the shape is valid and the voxel size finite and > 0.
void validate_grid(const FibreGrid& grid);

/// Throws std::invalid_argument (naming `name[i]` and echoing the value) unless every fibre has a
/// finite centre, a unit direction (|1 - |u|| <= 1e-6), length > 0, diameter > 0 and, for
/// spherocylinders, length >= diameter.
void validate_fibres(const std::vector<Fibre>& fibres, FibreShape shape, const char* name = "fibres");

/// Where rasterize_fibres writes. A null `data` skips that output; non-null outputs must have the grid's shape.
struct RasterTargets {
  /// Phase labels: voxels inside a fibre are set to `fibre_label`, all others are left as they are.
  VolumeView<std::uint8_t> labels{};
  std::uint8_t fibre_label = 1;
  /// Instance labels, overwritten: 0 = no fibre, i + 1 for fibre i (the lowest index where fibres overlap).
  VolumeView<std::uint32_t> instances{};
  /// Partial-volume fractions, overwritten: the share of the supersample^3 points of each voxel
  /// (at ((i + (a + 0.5) / s) h, ...)) inside the fibres, summed over fibres and clamped to 1
  /// (exact for non-overlapping fibres).
  VolumeView<float> fractions{};
  int supersample = 0;  ///< points per voxel edge for `fractions`, 1..8 (required when fractions are asked for)
};

/// Rasterizes fibres into `targets` (CPU, OpenMP). Results are byte-identical for any thread count
/// and to voxtwin::cuda::rasterize_fibres.
void rasterize_fibres(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid,
                      const RasterTargets& targets);

/// Number of voxels whose centre lies inside one fibre (wrapped when periodic, clipped otherwise).
std::int64_t fibre_voxel_count(const Fibre& fibre, FibreShape shape, const FibreGrid& grid);

/// Segment-to-segment distance between the axes of two fibres (µm), ignoring periodic images.
/// Axis segments: cylinder length L -> half-length L/2; spherocylinder -> (L - d)/2.
double axis_distance(const Fibre& a, const Fibre& b, FibreShape shape);

/// Counts of what happened to the tries a FibrePlacer has examined.
struct PlacementStats {
  std::int64_t examined = 0;          ///< tries looked at
  std::int64_t accepted = 0;          ///< placed
  std::int64_t rejected_overlap = 0;  ///< closer than (d1 + d2)/2 + min_gap to a fibre or a periodic image
  std::int64_t rejected_mask = 0;     ///< would occupy a voxel the mask forbids
  std::int64_t rejected_empty = 0;    ///< covers no voxel centre inside the grid
  std::int64_t abandoned = 0;         ///< fibres none of whose tries fitted (with random centres)
};

/// Random centres for the tries of each fibre: uniform in the box [lo, hi) (µm), coordinate a of
/// try t of fibre i taken from output (i * tries + t) * 3 + a of the SplitMix64 stream `key`.
struct CentreDraw {
  std::uint64_t key = 0;
  std::array<double, 3> lo{};
  std::array<double, 3> hi{};
  std::int64_t tries = 1;  ///< centres tried per fibre before it is abandoned
};

/// Result of FibrePlacer::place.
struct PlacementBatch {
  std::vector<std::int64_t> accepted;           ///< indices (into the fibres given) of those placed, in order
  std::vector<std::array<double, 3>> centres;   ///< the centre each accepted fibre was placed at (µm)
  std::int64_t examined = 0;                    ///< tries examined
  bool target_reached = false;                  ///< the fibres held now cover >= target_voxels voxels
};

/// Random sequential adsorption: candidates (drawn by the caller from its distributions and seed)
/// are tried in order; one is kept when its axis segment stays at least (d1 + d2)/2 + min_gap away
/// from every fibre held (and every periodic image, its own included) and every voxel it would
/// occupy is allowed by the mask. A uniform spatial hash keeps each test local.
///
/// Cylinders are kept apart as if they had hemispherical caps (a cylinder lies inside the
/// spherocylinder on the same segment with the same diameter), a slightly conservative test.
/// Deterministic: the result depends only on the inputs and their order.
class FibrePlacer {
 public:
  /// `mask`: nonzero where fibres may go; a null `data` allows the whole grid. The view is not
  /// copied: it must stay alive as long as the placer. `cell_size` (µm) of the hash; 0 picks
  /// max(2 voxels, grid extent / 64).
  FibrePlacer(const FibreGrid& grid, FibreShape shape, double min_gap = 0.0,
              VolumeView<const std::uint8_t> mask = {}, double cell_size = 0.0);
  ~FibrePlacer();
  FibrePlacer(const FibrePlacer&) = delete;
  FibrePlacer& operator=(const FibrePlacer&) = delete;

  /// Holds `fibres` without mask checks and whether or not they overlap (an existing table to
  /// continue from). Returns, per fibre, 1 when it overlaps a fibre held before it (or its own
  /// periodic image), else 0: a table checked this way lists every overlapping pair once.
  std::vector<std::uint8_t> add(const std::vector<Fibre>& fibres);
  /// Places `fibres` in order until the fibres held cover at least `target_voxels` voxels or
  /// `max_examined` tries have been examined. Without `draw` each fibre is tried once at its own
  /// centre. With `draw` its centre is ignored and up to draw->tries random centres are tried: the
  /// first that fits is kept, so sizes and orientations are not biased towards those that fit
  /// more easily (as they would be if a rejected fibre were replaced by a new draw).
  PlacementBatch place(const std::vector<Fibre>& fibres, std::int64_t target_voxels, const CentreDraw* draw = nullptr,
                       std::int64_t max_examined = std::numeric_limits<std::int64_t>::max());
  /// True when `fibre` would overlap a fibre held (or its own periodic image); no mask check.
  bool overlaps(const Fibre& fibre) const;

  const std::vector<Fibre>& fibres() const;          ///< all fibres held, in the order they came
  const std::vector<std::int64_t>& voxel_counts() const;  ///< voxels of each fibre held
  std::int64_t fibre_voxels() const;                  ///< sum of voxel_counts()
  const PlacementStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Options of FibreMigrator.
struct MigrationOptions {
  double min_gap = 0.0;      ///< µm kept between fibre surfaces at the end
  std::int64_t fixed = 0;    ///< the first `fixed` fibres stay where they are (an existing table)
  /// Starting centres of the other fibres: uniform in [lo, hi) (µm) from the SplitMix64 stream
  /// `key` (up to 64 tries each for one whose voxels the mask allows); false keeps the given centres.
  bool draw_centres = true;
  std::int64_t draw_from = 0;  ///< only fibres from this index on get drawn centres (top-ups keep the rest)
  std::uint64_t key = 0;
  std::array<double, 3> lo{};
  std::array<double, 3> hi{};
  /// Orientation tensor the moved fibres are held at (row-major 3x3, volume-weighted over the
  /// mobile fibres); all zero: directions only turn to resolve overlaps.
  std::array<double, 9> target_tensor{};
  double tensor_weight = 0.25;  ///< strength of the pull towards target_tensor per step
  /// Directions stay normal to this unit vector (planar orientations); all zero: free.
  std::array<double, 3> plane_normal{};
  double rotation_mobility = 0.5;  ///< how readily an overlap turns a fibre rather than shifts it (0 = never)
  /// Planar fibres (plane normal along a grid axis, drawn centres) start on layers: their heights
  /// along the normal are snapped to layers this far apart (µm, widened to divide the period or box
  /// evenly) before deposition; 0 = continuous heights. Migration then moves them freely.
  double layer_spacing = 0.0;
};

/// Where a FibreMigrator stands.
struct MigrationStatus {
  std::int64_t iterations = 0;         ///< steps taken so far
  std::int64_t overlapping_pairs = 0;  ///< pairs (periodic images included) closer than (d1 + d2)/2 + min_gap
  double max_overlap = 0.0;            ///< largest (d1 + d2)/2 + min_gap - axis distance among them (µm)
  std::int64_t mask_violations = 0;    ///< fibres covering a voxel the mask forbids
  bool resolved = false;               ///< no overlapping pair and no mask violation
  double scale = 1.0;                  ///< size the fibres are being resolved at (< 1 after a stall; see run)
};

/// Sequential addition and migration (after Schneider 2017): fibres are added with overlaps
/// allowed, then moved by gradient steps on
///   E = sum over overlapping pairs (and periodic images) of (1/2) (r_i + r_j + gap - dist_ij)²
///     + (w/2) N |A - A*|²_F,
/// dist_ij the distance between the axis segments, A the volume-weighted orientation tensor of the
/// mobile fibres. Each step moves every mobile fibre at once (Jacobi, with momentum): its centre by
/// the sum of its overlap pushes and its direction by their moments about the centre plus the pull
/// of A towards A*, kept in the plane when a plane normal is given. A step that would put a fibre
/// on a voxel the mask forbids is not taken for that fibre. The spatial hash and the overlap test
/// are those of FibrePlacer. Deterministic, byte-identical for any thread count (forces are
/// gathered per fibre in a fixed order; OpenMP only splits the fibres).
class FibreMigrator {
 public:
  FibreMigrator(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid,
                VolumeView<const std::uint8_t> mask = {}, const MigrationOptions& options = {});
  ~FibreMigrator();
  FibreMigrator(const FibreMigrator&) = delete;
  FibreMigrator& operator=(const FibreMigrator&) = delete;

  /// Takes up to `iterations` steps, stopping early once resolved. Returns the status.
  MigrationStatus run(std::int64_t iterations);
  const std::vector<Fibre>& fibres() const;  ///< fixed fibres first, then the others in the given order
  MigrationStatus status() const;
  /// Per fibre: 1 when it covers a voxel the mask forbids (at the last survey), else 0.
  std::vector<std::uint8_t> mask_violators() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

namespace cuda {
/// CUDA twin of voxtwin::rasterize_fibres: byte-identical output (throws voxtwin::CudaError,
/// voxtwin::InsufficientMemory when the outputs do not fit the GPU).
void rasterize_fibres(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid,
                      const RasterTargets& targets);
}  // namespace cuda

}  // namespace voxtwin
