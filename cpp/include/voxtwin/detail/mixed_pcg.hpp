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
#include <algorithm>
#include <cmath>

#include "voxtwin/detail/elasticity_setup.hpp"

namespace voxtwin::detail {

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
    if (record_iteration(result, it, res, options)) break;
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
