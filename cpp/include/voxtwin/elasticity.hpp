#pragma once
// FFT-based solver of the periodic small-strain (thermo-)elastic cell problem on a voxel grid:
//   sigma = C(x) : (eps - alpha(x) dT),   div sigma = 0,   <eps> or <sigma> prescribed.
//
// Every voxel holds an index into a table of materials (C 6x6 in GPa, alpha Voigt in 1/K); the
// table is looked up on the fly, never expanded per voxel. Indices are uint8 (phase labels) or
// uint16 (composite voxels, per-voxel fibre axes quantized into table entries).
//
// Schemes:
//  - HexReduced (default): displacement-based preconditioned conjugate gradients on trilinear
//    hexahedra (one per voxel, nodes at voxel corners) with one integration point at the voxel
//    centre. This is Willot's rotated finite-difference scheme. The preconditioner is the same
//    operator for a homogeneous reference medium, diagonal per Fourier mode (a 3x3 solve per
//    frequency, applied with R2C/C2R FFTs, never stored); it is zero where the discrete gradient
//    vanishes (the q = 0 mode and the hourglass modes at Nyquist frequencies).
//  - HexFull: the same with full 2x2x2 Gauss integration (robust at infinite contrast, ~4x slower).
//  - MoulinecSuquet: the strain-based basic scheme with the continuous Green operator (reference).
//
// Convergence: the relative residual in the norm of the preconditioner,
//   res_k = sqrt(r_k . M^-1 r_k) / sqrt(r_0 . M^-1 r_0) <= tol,
// i.e. the energy (in the reference medium) of the strain correction that the remaining force
// imbalance would cause, relative to that of the initial imbalance. The basic scheme uses the same
// quantity, the Mandel norm of its strain update relative to the first one.
//
// Conventions: fields are [component][x][y][z], C-contiguous, x slowest; Voigt order xx, yy, zz,
// yz, xz, xy with engineering shear strains; nodes sit at voxel corners, node (i, j, k) at
// position (i hx, j hy, k hz) with voxel (i, j, k) spanning [i hx, (i+1) hx] x ...
//
// Determinism: the result does not depend on the thread count (every reduction is taken per
// x-plane in a fixed order and summed serially; FFTs are single-threaded plans run on fixed slabs).
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "voxtwin/voigt.hpp"
#include "voxtwin/volume.hpp"

namespace voxtwin {

enum class ElasticityScheme { HexReduced, HexFull, MoulinecSuquet };

/// Materials by index: C[i] (GPa, Voigt) and alpha[i] (1/K, Voigt with engineering shears).
/// An all-zero C is a void (zero stiffness, no thermal stress).
struct MaterialTable {
  std::vector<Matrix6> C;
  std::vector<Vector6> alpha;
  std::size_t size() const { return C.size(); }
};

/// Macroscopic loading. Component i is stress-controlled when stress_controlled[i], else
/// strain-controlled; strain[i] / stress[i] hold the prescribed values (the other is ignored).
struct MacroLoading {
  Vector6 strain = Vector6::Zero();   ///< Voigt, engineering shears
  Vector6 stress = Vector6::Zero();   ///< GPa
  std::array<bool, 6> stress_controlled{};
  double delta_T = 0.0;               ///< K, temperature change from the stress-free state
};

/// Called once per iteration with (iteration, relative residual); return false to stop early
/// (the result is then flagged not converged).
using ElasticityMonitor = std::function<bool(int, double)>;

struct ElasticityOptions {
  ElasticityScheme scheme = ElasticityScheme::HexReduced;
  double tol = 1e-5;                                   ///< relative residual (see above)
  int max_iter = 1000;
  Eigen::Vector3d voxel_size = Eigen::Vector3d::Ones();  ///< µm per voxel along x, y, z
  ElasticityMonitor monitor;                           ///< optional
};

struct ElasticityResult {
  bool converged = false;
  int iterations = 0;
  std::vector<double> residuals;   ///< relative residual before the first and after every iteration
  Vector6 mean_strain = Vector6::Zero();
  Vector6 mean_stress = Vector6::Zero();  ///< GPa, averaged over all voxels (voids count as zero stress)
  Matrix6 reference_C = Matrix6::Zero();  ///< stiffness of the reference medium used (GPa)
  double memory_bytes = 0.0;              ///< working memory the solver allocated
  double seconds = 0.0;                   ///< wall time of the solve
  /// The last residual reported is b - A x recomputed from the solution x (the CG's convergence
  /// confirmed), not only the recursively updated one. False for the basic scheme, and for the GPU's
  /// homogenization where memory allowed no copy of x (see cuda/elasticity_cg.cu).
  bool true_residual_checked = false;
};

/// Where to write fields (each may be null; T is the solver's precision). Sizes per voxel count N:
/// displacement 3N (µm, total: fluctuation + mean strain . position, at the nodes),
/// strain 6N and stress 6N (GPa) at the voxel centres (averaged over Gauss points for HexFull).
/// The basic scheme has no displacement unknown: it leaves `displacement` untouched.
template <class T>
struct ElasticityFields {
  T* displacement = nullptr;
  T* strain = nullptr;
  T* stress = nullptr;
};

/// Bytes the CPU solver needs for its work arrays (not counting the index volume and fields).
double elasticity_memory_bytes(const Shape3& shape, ElasticityScheme scheme, int real_bytes, int threads);

/// Solves the cell problem on the CPU (OpenMP + FFTW) in precision T (float or double) for an
/// index volume of type L (uint8 or uint16). Throws std::invalid_argument for bad input and
/// voxtwin::InsufficientMemory (before allocating) when the work arrays exceed the available RAM.
template <class T, class L>
ElasticityResult solve_elasticity(const VolumeView<const L>& index, const MaterialTable& table,
                                  const MacroLoading& loading, const ElasticityOptions& options,
                                  const ElasticityFields<T>& fields = {});

/// Strain and stress at the voxel centres (and the total displacement) from a displacement
/// fluctuation `u` (3N, µm, [component][x][y][z]) and the mean strain; used after a solve.
/// With `u` null, `fields.strain` is taken as given (the basic scheme's output) and only the
/// stress is computed. `fields.displacement` may be `u` itself (converted in place).
template <class T, class L>
void elasticity_fields(const VolumeView<const L>& index, const MaterialTable& table, const T* u,
                       const Vector6& mean_strain, double delta_T, const ElasticityOptions& options,
                       const ElasticityFields<T>& fields);

namespace cuda {
/// Bytes the CUDA solver needs on the device at least: the CG vectors (3 for homogenization, 4 when
/// the fields are asked for), the index volume, and the cuFFT work area (cufftGetSizeMany64; throws
/// voxtwin::CudaError where cuFFT cannot say, e.g. without a GPU). Homogenization also keeps the
/// solution (4 vectors) when the device has room for it, to confirm convergence with the true residual.
double elasticity_memory_bytes(const Shape3& shape, ElasticityScheme scheme, int index_bytes, bool with_fields = false);

/// Bytes of the cuFFT work area of the solver's R2C/C2R plans for `shape` (cufftGetSizeMany64,
/// the larger of the two plans; CudaError where cuFFT cannot say).
double cufft_work_bytes(const Shape3& shape);

/// CUDA twin of voxtwin::solve_elasticity (float32 fields, cuFFT R2C/C2R). Checks the free device
/// memory before allocating and throws voxtwin::InsufficientMemory with the bytes needed and free.
/// The basic scheme is CPU-only (std::invalid_argument). Fields are computed on the host.
template <class L>
ElasticityResult solve_elasticity(const VolumeView<const L>& index, const MaterialTable& table,
                                  const MacroLoading& loading, const ElasticityOptions& options,
                                  const ElasticityFields<float>& fields = {});
}  // namespace cuda

}  // namespace voxtwin
