#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/format.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "voxtwin/errors.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin::detail {

namespace {

bool is_zero(const Matrix6& C) { return C.cwiseAbs().maxCoeff() == 0.0; }

Matrix6 mandel(const Matrix6& C) {
  Matrix6 M = C;
  const double r2 = std::sqrt(2.0);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) M(i, j) *= (i >= 3 ? r2 : 1.0) * (j >= 3 ? r2 : 1.0);
  return M;
}

}  // namespace

bool isotropic_parameters(const Matrix6& C, double& lambda, double& mu) {
  lambda = C(0, 1);
  mu = C(3, 3);
  Matrix6 iso = Matrix6::Zero();
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) iso(i, j) = lambda;
    iso(i, i) = lambda + 2 * mu;
    iso(i + 3, i + 3) = mu;
  }
  return (C - iso).cwiseAbs().maxCoeff() <= 1e-12 * C.cwiseAbs().maxCoeff();
}

void check_elasticity_arguments(const Shape3& shape, const MaterialTable& table, const MacroLoading& loading,
                                const ElasticityOptions& options) {
  require_valid_shape(shape, "labels");
  if (table.C.empty()) throw std::invalid_argument("`materials` must hold at least one material, got an empty table");
  if (table.C.size() != table.alpha.size())
    throw std::invalid_argument("`materials` must give one CTE per stiffness, got " + std::to_string(table.C.size()) +
                                " stiffnesses and " + std::to_string(table.alpha.size()) + " CTEs");
  if (table.C.size() > 65536)
    throw std::invalid_argument("`materials` may hold at most 65536 entries (uint16 indices), got " +
                                std::to_string(table.C.size()));
  for (std::size_t i = 0; i < table.C.size(); ++i) {
    const Matrix6& C = table.C[i];
    if (!C.allFinite() || !table.alpha[i].allFinite())
      throw std::invalid_argument("material entry " + std::to_string(i) + " holds a non-finite stiffness or CTE");
    if (is_zero(C)) continue;
    if ((C - C.transpose()).cwiseAbs().maxCoeff() > 1e-9 * C.cwiseAbs().maxCoeff())
      throw std::invalid_argument("material entry " + std::to_string(i) + " has a non-symmetric stiffness");
    // Positive semi-definite: a composite voxel with a void layer has no stiffness across it
    // (zero eigenvalues, rounded to about -1e-16 of the largest).
    Eigen::SelfAdjointEigenSolver<Matrix6> eig(mandel(C));
    if (!(eig.eigenvalues().minCoeff() >= -1e-12 * eig.eigenvalues().maxCoeff()) || !(eig.eigenvalues().maxCoeff() > 0.0))
      throw std::invalid_argument("material entry " + std::to_string(i) +
                                  " must have a positive semi-definite stiffness (all zero for a void), got smallest "
                                  "eigenvalue " + format_value(eig.eigenvalues().minCoeff()) + " GPa");
  }
  for (int i = 0; i < 6; ++i) {
    const double v = loading.stress_controlled[i] ? loading.stress[i] : loading.strain[i];
    if (!std::isfinite(v))
      throw std::invalid_argument(std::string("the prescribed ") + (loading.stress_controlled[i] ? "stress" : "strain") +
                                  " component " + std::to_string(i) + " must be finite, got " + format_value(v));
  }
  if (!std::isfinite(loading.delta_T))
    throw std::invalid_argument("`delta_T` must be finite, got delta_T=" + format_value(loading.delta_T));
  if (!(options.tol > 0.0) || !std::isfinite(options.tol))
    throw std::invalid_argument("`tol` must be > 0, got tol=" + format_value(options.tol));
  if (options.max_iter < 0)
    throw std::invalid_argument("`max_iter` must be >= 0, got max_iter=" + std::to_string(options.max_iter));
  for (int i = 0; i < 3; ++i)
    if (!(options.voxel_size[i] > 0.0) || !std::isfinite(options.voxel_size[i]))
      throw std::invalid_argument("`voxel_size` must be > 0 µm along every axis, got voxel_size[" + std::to_string(i) +
                                  "]=" + format_value(options.voxel_size[i]));
}

template <class T>
std::vector<MaterialEntry<T>> material_entries(const MaterialTable& table) {
  std::vector<MaterialEntry<T>> out(table.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    const Matrix6& C = table.C[i];
    MaterialEntry<T>& e = out[i];
    if (is_zero(C)) {
      e.kind = kVoidEntry;
      continue;
    }
    double lambda = 0, mu = 0;
    const Vector6 b = C * table.alpha[i];
    // The isotropic short cut also assumes an isotropic thermal stress (equal normal parts, no shear).
    const bool iso_beta = b[0] == b[1] && b[1] == b[2] && b[3] == 0.0 && b[4] == 0.0 && b[5] == 0.0;
    e.kind = isotropic_parameters(C, lambda, mu) && iso_beta ? kIsotropicEntry : kGeneralEntry;
    e.lambda = static_cast<T>(lambda);
    e.mu = static_cast<T>(mu);
    for (int r = 0; r < 6; ++r)
      for (int c = 0; c < 6; ++c) e.C[6 * r + c] = static_cast<T>(C(r, c));
    const Vector6 beta = C * table.alpha[i];
    for (int r = 0; r < 6; ++r) e.beta[r] = static_cast<T>(beta[r]);
  }
  return out;
}

template <class L>
std::vector<std::uint64_t> index_counts(const VolumeView<const L>& index, std::size_t table_size) {
  const std::int64_t n = index.size();
  constexpr std::size_t bins = std::size_t(std::numeric_limits<L>::max()) + 1;
  const int threads = solver_threads(index.shape);
  std::vector<std::vector<std::uint64_t>> partial(threads, std::vector<std::uint64_t>(bins, 0));
#pragma omp parallel num_threads(threads)
  {
    std::vector<std::uint64_t>& mine = partial[omp_get_thread_num()];
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) ++mine[index.data[i]];
  }
  std::vector<std::uint64_t> counts(bins, 0);
  for (const auto& p : partial)
    for (std::size_t k = 0; k < bins; ++k) counts[k] += p[k];
  for (std::size_t k = table_size; k < bins; ++k)
    if (counts[k])
      throw std::invalid_argument("`labels` holds the value " + std::to_string(k) + " in " + std::to_string(counts[k]) +
                                  " voxels but the material table has only " + std::to_string(table_size) +
                                  " entries (0.." + std::to_string(table_size - 1) + ")");
  counts.resize(table_size);
  return counts;
}

Matrix6 reference_stiffness(const MaterialTable& table, const std::vector<std::uint64_t>& counts) {
  Matrix6 sum = Matrix6::Zero();
  double weight = 0;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (!counts[i] || is_zero(table.C[i])) continue;
    sum += static_cast<double>(counts[i]) * table.C[i];
    weight += static_cast<double>(counts[i]);
  }
  if (weight == 0)
    throw std::invalid_argument("every voxel of `labels` is void: a structure without stiffness has no elastic response");
  return sum / weight;
}

Matrix6 basic_scheme_reference(const MaterialTable& table, const std::vector<std::uint64_t>& counts) {
  double lmin = std::numeric_limits<double>::infinity(), lmax = 0;
  bool any_solid = false;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (!counts[i]) continue;
    if (is_zero(table.C[i])) {
      lmin = 0;
      continue;
    }
    any_solid = true;
    Eigen::SelfAdjointEigenSolver<Matrix6> eig(mandel(table.C[i]));
    lmin = std::min(lmin, eig.eigenvalues().minCoeff());
    lmax = std::max(lmax, eig.eigenvalues().maxCoeff());
  }
  if (!any_solid)
    throw std::invalid_argument("every voxel of `labels` is void: a structure without stiffness has no elastic response");
  const double c = 0.5 * (lmin + lmax);
  Matrix6 C0 = Matrix6::Zero();
  for (int i = 0; i < 3; ++i) {
    C0(i, i) = c;
    C0(i + 3, i + 3) = 0.5 * c;  // Voigt shear entry of c times the Mandel identity
  }
  return C0;
}

MixedControl mixed_control(const MacroLoading& loading, const Matrix6& C0) {
  MixedControl m;
  for (int i = 0; i < 6; ++i) {
    if (loading.stress_controlled[i])
      m.components[m.count++] = i;
    else
      m.fixed_strain[i] = loading.strain[i];
  }
  if (m.count) {
    Eigen::MatrixXd block(m.count, m.count);
    for (int a = 0; a < m.count; ++a)
      for (int b = 0; b < m.count; ++b) block(a, b) = C0(m.components[a], m.components[b]);
    const Eigen::MatrixXd inv = block.inverse();
    for (int a = 0; a < m.count; ++a)
      for (int b = 0; b < m.count; ++b) m.reference_inverse(a, b) = inv(a, b);
  }
  return m;
}

bool record_iteration(ElasticityResult& result, int iteration, double residual, const ElasticityOptions& options) {
  result.residuals.push_back(residual);
  result.iterations = iteration;
  if (residual <= options.tol) {
    result.converged = true;
    if (options.monitor) options.monitor(iteration, residual);
    return true;
  }
  return options.monitor && !options.monitor(iteration, residual);
}

int solver_threads(const Shape3& shape) {
  constexpr std::int64_t kVoxelsPerThread = 16384;
  const std::int64_t by_size = std::max<std::int64_t>(1, shape.size() / kVoxelsPerThread);
  return static_cast<int>(std::min<std::int64_t>({get_num_threads(), by_size, std::max<std::int64_t>(1, shape.nx)}));
}

double available_host_memory() {
  double available = std::numeric_limits<double>::infinity();
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double value = 0;
  std::string unit;
  while (meminfo >> key >> value >> unit) {
    if (key == "MemAvailable:") {
      available = value * 1024.0;
      break;
    }
  }
  if (!std::isfinite(available)) {
    const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) available = static_cast<double>(pages) * static_cast<double>(page);
  }
  // A container's cgroup (v2) limit may be tighter than the machine's free memory.
  std::ifstream max_file("/sys/fs/cgroup/memory.max"), cur_file("/sys/fs/cgroup/memory.current");
  std::string max_text;
  double current = 0;
  if (max_file >> max_text && max_text != "max" && cur_file >> current) {
    const double limit = std::stod(max_text);
    available = std::min(available, std::max(0.0, limit - current));
  }
  return available;
}

void require_memory(double needed, double available, const char* where) {
  if (needed > available) {
    std::ostringstream msg;
    msg.precision(3);
    msg << "the elasticity problem needs " << needed / (1024.0 * 1024.0 * 1024.0) << " GiB of " << where
        << " memory for its work arrays but only " << available / (1024.0 * 1024.0 * 1024.0)
        << " GiB are available (" << static_cast<long long>(needed) << " bytes needed, "
        << static_cast<long long>(available) << " available); use a smaller volume, float32, or composite voxels";
    throw InsufficientMemory(msg.str(), needed, available);
  }
}

template std::vector<MaterialEntry<float>> material_entries<float>(const MaterialTable&);
template std::vector<MaterialEntry<double>> material_entries<double>(const MaterialTable&);
template std::vector<std::uint64_t> index_counts<std::uint8_t>(const VolumeView<const std::uint8_t>&, std::size_t);
template std::vector<std::uint64_t> index_counts<std::uint16_t>(const VolumeView<const std::uint16_t>&, std::size_t);

}  // namespace voxtwin::detail
