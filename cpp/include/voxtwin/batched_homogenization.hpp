#pragma once
// Batched homogenization of many small periodic cells (16^3 to 64^3 voxels) in one call: the
// effective stiffness of every cell of a stack [cell][x][y][z] of phase labels, with one material
// table for all of them.
//
// Why a batch: a small cell is solved by one thread faster than by a team (detail::solver_threads),
// so the batch runs cells side by side, one per thread, and each thread keeps its FFT plans, CG
// vectors and plane buffers for all the cells it solves (only the reference medium and the labels
// change between cells). Per cell the solver is exactly the one of voxtwin::solve_elasticity (the
// hexahedral CG schemes, voids allowed), so a cell's C agrees with homogenize() on it to the
// solver tolerance, for any thread count and batch size.
//
// Symmetry: with CellSymmetry::Cubic (cells must be cubes) the effective C is projected on the
// cubic class by averaging it over the 48 operations of the cube's symmetry group (signed
// permutations of the axes): C11 = (C11 + C22 + C33)/3, C12 = (C12 + C13 + C23)/3,
// C44 = (C44 + C55 + C66)/3, every other entry 0. A cell that maps onto itself under the group
// (mirror x -> n-1-x and the axis swaps; e.g. the mirrored octant of a permutation-symmetric
// corner) has a cubic C, and two load cases (uniaxial xx and shear yz) give it instead of six.
// Other cells are solved with six cases and projected; `anisotropy` says how far from cubic they were.
#include <cstdint>
#include <vector>

#include "voxtwin/elasticity.hpp"
#include "voxtwin/voigt.hpp"
#include "voxtwin/volume.hpp"

namespace voxtwin {

enum class CellSymmetry { None, Cubic };

/// The single-cell solver options (scheme HexReduced or HexFull, tol per load case, max_iter, voxel size:
/// C does not depend on it) applied to every cell, plus the symmetry of the batch.
struct BatchOptions : ElasticityOptions {
  CellSymmetry symmetry = CellSymmetry::None;
};

struct BatchResult {
  std::vector<Matrix6> C;                ///< per cell, GPa: symmetrized six-case C, or its cubic projection
  std::vector<int> iterations;           ///< CG iterations per cell, summed over its load cases
  std::vector<std::uint8_t> converged;   ///< every load case of the cell reached tol
  std::vector<std::uint8_t> invariant;   ///< Cubic: the cell maps onto itself (two load cases were solved)
  std::vector<double> anisotropy;        ///< Cubic: |C - P(C)|_F / |C|_F before the projection (0 if invariant)
  double seconds = 0.0;                  ///< wall time of the batch
  double memory_bytes = 0.0;             ///< work arrays of all threads together
};

/// True when the cube-shaped cell maps onto itself under the 48 operations of the cube's symmetry
/// group (checked on the generators: mirror x -> n-1-x, swap x <-> y, swap y <-> z).
bool cubic_invariant(const VolumeView<const std::uint8_t>& cell);

/// The average of C over the cube's symmetry group (the orthogonal projection on cubic tensors).
Matrix6 cubic_projection(const Matrix6& C);

/// Bytes of work arrays of a batch of cells of `shape` solved by `threads` threads.
double batch_memory_bytes(const Shape3& shape, ElasticityScheme scheme, int real_bytes, int threads);

/// Effective stiffness of `count` cells `cells` [count][nx][ny][nz] (uint8 indices into `table`), CPU,
/// precision T (float or double), cells spread over voxtwin::get_num_threads() threads. Throws
/// std::invalid_argument for bad arguments (an index outside the table, an all-void cell, a
/// non-cube cell with Cubic symmetry, the basic scheme) and voxtwin::InsufficientMemory before allocating.
template <class T>
BatchResult homogenize_cells(const std::uint8_t* cells, std::int64_t count, const Shape3& shape,
                             const MaterialTable& table, const BatchOptions& options);

namespace cuda {
/// CUDA twin (float32): the cells are solved one after another on the device by the CUDA solver,
/// with the same load cases and symmetry handling as the CPU batch. Throws voxtwin::CudaError where
/// CUDA is not usable.
BatchResult homogenize_cells(const std::uint8_t* cells, std::int64_t count, const Shape3& shape,
                             const MaterialTable& table, const BatchOptions& options);
}  // namespace cuda

namespace detail {
/// A result for `count` cells, every entry zero (filled cell by cell).
BatchResult empty_batch_result(std::int64_t count);
/// Load cases of a batch cell: the six unit strains, or (invariant cubic cell) xx and yz.
std::vector<int> batch_load_cases(bool cubic_shortcut);
/// Checks of homogenize_cells' arguments shared by both backends; returns the voxel counts per
/// table entry of every cell (count x table.size()).
std::vector<std::vector<std::uint64_t>> check_batch(const std::uint8_t* cells, std::int64_t count, const Shape3& shape,
                                                    const MaterialTable& table, const BatchOptions& options);
/// The cell's C from the mean stresses of its load cases (see batch_load_cases); fills
/// result.C/anisotropy at `cell`.
void finish_cell(const std::vector<int>& cases, const std::vector<Vector6>& stresses, bool cubic, bool shortcut,
                 std::int64_t cell, BatchResult& result);
}  // namespace detail

}  // namespace voxtwin
