#pragma once
// Virtual growth (seed 002): fills a grid of cells with building blocks under face adjacency
// rules, the lowest-entropy cell first, each draw's probabilities corrected towards target block
// counts per region. Admissible blocks of a cell are a bitset (the intersection over its filled
// neighbours of what each allows across the shared face); the next cell comes from a lazy
// min-heap of entropies, so a step costs O(log n) instead of the O(n) rescan of all cells.
#include <array>
#include <cstdint>
#include <vector>

namespace voxtwin {

/// Face order of every growth table: +x, -x, +y, -y, +z, -z (face f and f ^ 1 are opposite).
inline constexpr int kGrowthFaces = 6;

/// Adjacency rules of `n_blocks` blocks (at most 4096) and their frequency groups.
struct GrowthRules {
  int n_blocks = 0;
  /// allowed[(f * n_blocks + a) * n_blocks + b] != 0: block b may sit across face f of block a.
  /// Must be symmetric: allowed(f, a, b) == allowed(f ^ 1, b, a).
  std::vector<std::uint8_t> allowed;
  /// Frequency group of every block (variants of one block share a group), 0..n_groups-1.
  std::vector<std::int32_t> group;
  int n_groups = 0;

  /// Throws std::invalid_argument on sizes, group ids or asymmetric tables.
  void validate() const;
};

struct GrowthOptions {
  std::uint64_t seed = 0;
  bool periodic = false;        ///< wrap the grid on all three axes
  std::int64_t max_repairs = -1;  ///< local repairs per attempt before a full restart (-1: cells / 8 + 64)
  int max_restarts = 10;        ///< full restarts before giving up (result.complete = false)
};

struct GrowthResult {
  std::vector<std::int32_t> blocks;  ///< block id per cell (x-major, z fastest); -1 for void cells
  std::int64_t repairs = 0;          ///< contradictions resolved by clearing and regrowing a neighbourhood
  int restarts = 0;                  ///< full restarts (a fresh attempt with the next random stream)
  bool complete = false;             ///< false when max_restarts attempts all failed (blocks then partial)
};

/// Grows blocks on a grid `shape` (cells along x, y, z).
/// `region`: per cell (x-major, z fastest) the index of its frequency row, or -1 for a void cell
/// (never filled; it constrains no neighbour, like the grid's open boundary).
/// `frequency`: n_regions rows of n_groups target fractions (each row sums to 1).
/// Deterministic for a seed: a single sequential stream, independent of the thread count.
GrowthResult grow(const GrowthRules& rules, const std::array<std::int64_t, 3>& shape,
                  const std::vector<std::int32_t>& region, const std::vector<double>& frequency, int n_regions,
                  const GrowthOptions& options);

}  // namespace voxtwin
