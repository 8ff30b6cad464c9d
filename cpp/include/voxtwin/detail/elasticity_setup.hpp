#pragma once
// Host-side preparation shared by the CPU and CUDA elasticity solvers: argument checks, the
// material entries the kernels read, voxel counts per entry, the reference medium, and the
// bookkeeping of mixed (strain/stress) loadings. Defined in libvoxtwin (cpp/src/elasticity_setup.cpp).
#include <array>
#include <cstdint>
#include <vector>

#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/elasticity.hpp"

namespace voxtwin::detail {

/// Throws std::invalid_argument for a bad table, loading or options (messages name the argument).
void check_elasticity_arguments(const Shape3& shape, const MaterialTable& table, const MacroLoading& loading,
                                const ElasticityOptions& options);

/// True when C is isotropic (to 1e-12 relative), with its Lame constants (GPa).
bool isotropic_parameters(const Matrix6& C, double& lambda, double& mu);

/// Kernel entries of the table in precision T (isotropic entries recognized for the short cut).
template <class T>
std::vector<MaterialEntry<T>> material_entries(const MaterialTable& table);

/// Voxel count of every table entry; throws std::invalid_argument when an index is outside the table.
template <class L>
std::vector<std::uint64_t> index_counts(const VolumeView<const L>& index, std::size_t table_size);

/// Reference medium: the voxel-weighted mean stiffness of the non-void entries (GPa). Throws
/// std::invalid_argument when every voxel is void.
Matrix6 reference_stiffness(const MaterialTable& table, const std::vector<std::uint64_t>& counts);

/// Reference of the basic scheme: C0 = (l_min + l_max)/2 times the identity (Mandel), with l the
/// eigenvalues of the Mandel stiffnesses present (voids give 0), the classical choice that keeps
/// the fixed point a contraction.
Matrix6 basic_scheme_reference(const MaterialTable& table, const std::vector<std::uint64_t>& counts);

/// The stress-controlled components of a loading and the inverse of the reference stiffness on
/// them (per voxel), used for the macroscopic strain unknowns.
struct MixedControl {
  int count = 0;
  std::array<int, 6> components{};  ///< Voigt indices of the stress-controlled components
  Vector6 fixed_strain = Vector6::Zero();  ///< prescribed strain, 0 on stress-controlled components
  Eigen::Matrix<double, 6, 6> reference_inverse = Eigen::Matrix<double, 6, 6>::Zero();  ///< (C0_ff)^-1, count x count block
};
MixedControl mixed_control(const MacroLoading& loading, const Matrix6& C0);

/// Threads for a grid: voxtwin::get_num_threads(), but at least ~16k voxels and one x-plane per
/// thread (the solvers pass a barrier several times per iteration; tiny grids run faster alone).
/// Results do not depend on it.
int solver_threads(const Shape3& shape);

/// Records an iteration's relative residual; true when the iteration is to stop: converged
/// (residual <= tol), or the monitor asked to stop. A converged result is reported to the monitor.
bool record_iteration(ElasticityResult& result, int iteration, double residual, const ElasticityOptions& options);

/// Bytes of memory available to this process now (MemAvailable, capped by a cgroup limit).
double available_host_memory();

/// Throws voxtwin::InsufficientMemory when `needed` bytes exceed `available`.
void require_memory(double needed, double available, const char* where);

}  // namespace voxtwin::detail
