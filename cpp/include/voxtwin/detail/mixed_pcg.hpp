#pragma once
// The preconditioned CG iteration of the elasticity solvers, host code shared by the CPU and CUDA
// backends: they differ only in where the vectors live and how the operations run (the `Ops`).
//
// Unknowns: the displacement fluctuation u (held by Ops) and, for stress-controlled components,
// the macroscopic strains e_f (held here, a few doubles). CG minimizes
//   W(u, e_f) = sum_voxels 1/2 (E + B u - alpha dT) : C : (E + B u - alpha dT) - N Sigma_f . e_f,
// whose stationarity is nodal equilibrium and <sigma>_f = Sigma_f. The preconditioner is the
// reference medium: its FFT inverse for u (Ops) and (N C0_ff)^-1 for e_f (here); the reference
// operator is block diagonal because a periodic fluctuation has zero mean strain.
//
// Ops provides (u-parts only; reductions deterministic):
//   double apply(bool with_p, const double E[6], double dT, double* sigma_sum)
//       q = sum_e B^T (C_e (B p + E) - dT beta_e), p taken as zero unless with_p; returns p . q and,
//       when sigma_sum is not null, the sum over voxels of the element stress.
//   void negate_into_residual()      r = -q, q = r (the right-hand side)
//   double precondition()            q (a copy of r) <- M^-1 q; returns r . q
//   void copy_direction()            p = q
//   void update(double alpha)        x += alpha p, r -= alpha q, q = r
//   void direction(double beta)      p = q + beta p
//   void stress_sum(const double E[6], double dT, double out[6])   sum of element stresses for x
// and optionally (the CPU ops; the GPU ops when they keep x), since the recursively updated r drifts
// from b - A x at high contrast or in float32:
//   bool has_solution()              whether x is held
//   void true_residual(const double E[6], double dT, double sigma_sum[6])   r = b - A x, stress sum of x
// Where both exist and x is held, convergence of the recursive residual is confirmed with the true
// one; if that is still above tol, CG restarts from it (residual replacement), unless the true
// residual did not halve since the last restart (the precision floor): then it stops, not converged.
// result.true_residual_checked tells whether the last residual reported is such a true one.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "voxtwin/detail/elasticity_setup.hpp"

namespace voxtwin::detail {

template <class Ops, class = void>
struct HasTrueResidual : std::false_type {};
template <class Ops>
struct HasTrueResidual<Ops, std::void_t<decltype(&Ops::true_residual), decltype(&Ops::has_solution)>>
    : std::true_type {};

template <class Ops>
ElasticityResult mixed_pcg(Ops& ops, const MixedControl& mc, const MacroLoading& loading,
                           const ElasticityOptions& options, double N) {
  const int m = mc.count;
  auto precondition_e = [&](const double* re, double* ze) {
    for (int a = 0; a < m; ++a) {
      ze[a] = 0;
      for (int b = 0; b < m; ++b) ze[a] += mc.reference_inverse(a, b) * re[b] / N;
    }
  };
  auto dot_e = [&](const double* a, const double* b) {
    double s = 0;
    for (int i = 0; i < m; ++i) s += a[i] * b[i];
    return s;
  };

  ElasticityResult result;
  // Right-hand side: forces of the prescribed strain and of the thermal eigenstrain.
  double Efix[6], ssum[6];
  for (int i = 0; i < 6; ++i) Efix[i] = mc.fixed_strain[i];
  ops.apply(false, Efix, loading.delta_T, ssum);
  ops.negate_into_residual();
  double xe[6] = {0}, re[6] = {0}, pe[6] = {0}, qe[6] = {0}, ze[6] = {0};
  for (int a = 0; a < m; ++a) re[a] = N * loading.stress[mc.components[a]] - ssum[mc.components[a]];
  precondition_e(re, ze);
  double rz = ops.precondition() + dot_e(re, ze);
  ops.copy_direction();
  for (int a = 0; a < m; ++a) pe[a] = ze[a];
  const double res0 = std::sqrt(std::max(rz, 0.0));
  result.residuals.push_back(res0 > 0 ? 1.0 : 0.0);
  result.converged = res0 == 0.0;
  result.true_residual_checked = result.converged;  // r = b - A 0 was formed directly: it is the true one
  double last_true = std::numeric_limits<double>::infinity();

  for (int it = 1; it <= options.max_iter && !result.converged; ++it) {
    double Ep[6] = {0, 0, 0, 0, 0, 0}, ss[6];
    for (int a = 0; a < m; ++a) Ep[mc.components[a]] = pe[a];
    double pq = ops.apply(true, Ep, 0.0, m ? ss : nullptr);
    for (int a = 0; a < m; ++a) qe[a] = ss[mc.components[a]];
    pq += dot_e(pe, qe);
    if (!(pq > 0)) break;  // p carries no energy: nothing left to reduce (flagged not converged)
    const double alpha = rz / pq;
    ops.update(alpha);
    for (int a = 0; a < m; ++a) {
      xe[a] += alpha * pe[a];
      re[a] -= alpha * qe[a];
    }
    precondition_e(re, ze);
    const double rz_new = ops.precondition() + dot_e(re, ze);
    const double res = std::sqrt(std::max(rz_new, 0.0)) / res0;
    if (record_iteration(result, it, res, options)) {
      if constexpr (HasTrueResidual<Ops>::value) {
        if (result.converged && ops.has_solution()) {
          double E[6], st[6];
          for (int i = 0; i < 6; ++i) E[i] = mc.fixed_strain[i];
          for (int a = 0; a < m; ++a) E[mc.components[a]] = xe[a];
          ops.true_residual(E, loading.delta_T, st);
          for (int a = 0; a < m; ++a) re[a] = N * loading.stress[mc.components[a]] - st[mc.components[a]];
          precondition_e(re, ze);
          rz = ops.precondition() + dot_e(re, ze);
          const double true_res = std::sqrt(std::max(rz, 0.0)) / res0;
          result.residuals.back() = true_res;
          result.true_residual_checked = true;
          if (true_res <= options.tol) break;
          result.converged = false;
          if (true_res > 0.5 * last_true) break;  // no headway since the last restart: stuck at the floor
          last_true = true_res;  // restart from the true residual
          result.true_residual_checked = false;  // the iterations from here are recursive again
          ops.copy_direction();
          for (int a = 0; a < m; ++a) pe[a] = ze[a];
          continue;
        }
      }
      break;
    }
    const double beta = rz_new / rz;
    rz = rz_new;
    ops.direction(beta);
    for (int a = 0; a < m; ++a) pe[a] = ze[a] + beta * pe[a];
  }

  // Macroscopic strain and mean stress of the solution.
  for (int i = 0; i < 6; ++i) result.mean_strain[i] = mc.fixed_strain[i];
  for (int a = 0; a < m; ++a) result.mean_strain[mc.components[a]] = xe[a];
  double E[6], total[6];
  for (int i = 0; i < 6; ++i) E[i] = result.mean_strain[i];
  ops.stress_sum(E, loading.delta_T, total);
  for (int i = 0; i < 6; ++i) result.mean_stress[i] = total[i] / N;
  return result;
}

}  // namespace voxtwin::detail
