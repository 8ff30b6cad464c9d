#pragma once
// Composite voxels, step 2: the compact table. The cells of composite_voxels.hpp are quantized
// (fractions exactly: counts out of factor^3; normals onto a fixed direction set) and the
// distinct mixed cells become table rows after the plain materials; every coarse voxel then
// holds a uint16 row index. The solver looks up (C, alpha) per row; no 6x6 matrix per voxel.
//
// Direction set of resolution K: the integer points on the surface of the cube [-K, K]^3
// (max |n_i| = K), sign-folded (n and -n give the same laminate; the first non-zero component
// is positive): 12 K^2 + 1 directions, e.g. 2701 for K = 15 (spacing about 2.7 degrees at
// the face centres, finer towards the edges). A normal is projected onto the cube and rounded
// component-wise. Axis, face- and body-diagonal directions are represented exactly.
#include <array>
#include <cstdint>
#include <vector>

#include "voxtwin/composite_voxels.hpp"
#include "voxtwin/laminate.hpp"

namespace voxtwin {

/// Finest normal resolution accepted (components fit int8).
constexpr int kMaxNormalResolution = 64;

/// One distinct mixed coarse voxel: labels with counts (as in CompositeCell) and the quantized normal.
struct CompositeEntry {
  std::uint8_t label[kCompositeSlots];
  std::uint16_t count[kCompositeSlots];
  std::int8_t normal[3];  ///< on the cube surface max |n_i| = resolution, first non-zero component > 0

  bool operator<(const CompositeEntry& o) const;
  bool operator==(const CompositeEntry& o) const;
};

/// The direction-set point of resolution `resolution` (1..64) for a non-zero normal `g`.
std::array<std::int8_t, 3> quantize_normal(const float g[3], int resolution);

struct CompositeTable {
  std::vector<CompositeEntry> entries;  ///< sorted; entry i is table row n_rows + i
  int resolution = 0;                   ///< normal resolution finally used
};

/// Distinct mixed cells and the row index of every coarse voxel (`index`, n values): a pure
/// voxel of label l gets row_of_label[l], a mixed one n_rows + the rank of its entry.
/// When n_rows + distinct entries would exceed `max_entries` (at most 65536), the normal
/// resolution is lowered (12, 10, 8, 6, 5, 4, 3, 2, 1) until they fit; `resolution` in the
/// result says which was used. Throws std::invalid_argument for a label without a row
/// (row_of_label[l] < 0), a cell with more than kCompositeSlots labels, or a table that does
/// not fit even at resolution 1.
CompositeTable composite_table(const CompositeCell* cells, const Shape3& coarse, const std::array<int, 256>& row_of_label,
                               int n_rows, int resolution, int max_entries, std::uint16_t* index);

/// Laminate law of every entry (CPU, OpenMP): layers = the entry's labels with fractions
/// count / factor^3 and laws phases[label], normal = the entry's normal (laminate.hpp).
std::vector<ThermoElastic> composite_laminates(const std::vector<CompositeEntry>& entries, int factor,
                                               const std::vector<ThermoElastic>& phases);

}  // namespace voxtwin
