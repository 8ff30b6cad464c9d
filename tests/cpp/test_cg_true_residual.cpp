// The GPU CG's convergence logic on the host: detail::mixed_pcg (shared by the CPU and CUDA solvers)
// driven by small Ops whose operator applications carry a relative error, as float32 ones do, and
// detail::plan_cg_memory (when the GPU keeps x to confirm convergence). No GPU.
//
// With x held, mixed_pcg must confirm convergence against b - A x computed from x and report it
// (true_residual_checked); without x (the GPU's 3-vector minimum) it can only report the recursive
// residual, and the result must say so. The perturbed operator is the negative control: the
// recursive residual reaches the tolerance while the true one cannot.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "voxtwin/detail/cg_memory_plan.hpp"
#include "voxtwin/detail/mixed_pcg.hpp"
#include "voxtwin/elasticity.hpp"

using namespace voxtwin;

namespace {

/// Ops of mixed_pcg for K x = -E0 g with K a 1D periodic chain of springs (stiffness contrast 100)
/// plus a small diagonal, Jacobi-preconditioned. `noise`: relative error of each A p (deterministic
/// pattern), as a low-precision operator makes; the true residual uses the exact operator.
class ChainOps {
 public:
  ChainOps(int n, double noise, bool keep) : n_(n), noise_(noise), keep_(keep), k_(n), g_(n), s_(n) {
    for (int i = 0; i < n; ++i) {
      k_[i] = (i % 7 < 3) ? 100.0 : 1.0;
      g_[i] = std::sin(0.37 * i) + 0.2;
      s_[i] = std::cos(0.11 * i);
    }
    x_.assign(n, 0.0);
    r_ = p_ = q_ = x_;
  }

  double apply(bool with_p, const double E[6], double, double* sigma_sum) {
    if (with_p) multiply(p_, q_, true);
    else q_.assign(n_, 0.0);
    for (int i = 0; i < n_; ++i) q_[i] += E[0] * g_[i];
    double sum = with_p ? dot(s_, p_) : 0.0;
    if (sigma_sum) {
      for (int i = 0; i < 6; ++i) sigma_sum[i] = 0;
      sigma_sum[0] = sum + E[0] * n_;
    }
    if (with_p) last_p_stress_ = sum;
    else recurrent_stress_ = E[0] * n_;
    return with_p ? dot(p_, q_) : 0.0;
  }
  void negate_into_residual() {
    for (int i = 0; i < n_; ++i) r_[i] = -q_[i];
  }
  double precondition() {
    for (int i = 0; i < n_; ++i) q_[i] = r_[i] / diagonal(i);
    return dot(r_, q_);
  }
  void copy_direction() { p_ = q_; }
  void update(double alpha) {
    for (int i = 0; i < n_; ++i) {
      if (keep_) x_[i] += alpha * p_[i];
      r_[i] -= alpha * q_[i];
    }
    recurrent_stress_ += alpha * last_p_stress_;
  }
  void direction(double beta) {
    for (int i = 0; i < n_; ++i) p_[i] = q_[i] + beta * p_[i];
  }
  void stress_sum(const double E[6], double, double out[6]) {
    for (int i = 0; i < 6; ++i) out[i] = 0;
    out[0] = keep_ ? dot(s_, x_) + E[0] * n_ : recurrent_stress_;
  }
  bool has_solution() const { return keep_; }
  void true_residual(const double E[6], double, double sigma_sum[6]) {
    multiply(x_, q_, false);
    for (int i = 0; i < n_; ++i) r_[i] = -(q_[i] + E[0] * g_[i]);
    for (int i = 0; i < 6; ++i) sigma_sum[i] = 0;
    sigma_sum[0] = recurrent_stress_ = dot(s_, x_) + E[0] * n_;
  }

  /// ||b - A x|| / ||b|| with the exact operator (the test's own check, outside mixed_pcg).
  double true_relative_residual(double E0) const {
    std::vector<double> ax(n_);
    multiply(x_, ax, false);
    double num = 0, den = 0;
    for (int i = 0; i < n_; ++i) {
      num += (ax[i] + E0 * g_[i]) * (ax[i] + E0 * g_[i]);
      den += (E0 * g_[i]) * (E0 * g_[i]);
    }
    return std::sqrt(num / den);
  }

 private:
  double diagonal(int i) const { return k_[i] + k_[(i + n_ - 1) % n_] + 0.01; }
  void multiply(const std::vector<double>& u, std::vector<double>& out, bool noisy) const {
    for (int i = 0; i < n_; ++i) {
      const int l = (i + n_ - 1) % n_, r = (i + 1) % n_;
      double v = diagonal(i) * u[i] - k_[i] * u[r] - k_[l] * u[l];
      if (noisy) v *= 1.0 + noise_ * std::sin(1.7 * i + 0.3);  // a fixed, operator-like rounding pattern
      out[i] = v;
    }
  }
  static double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
  }

  int n_;
  double noise_;
  bool keep_;
  std::vector<double> k_, g_, s_, x_, r_, p_, q_;
  double recurrent_stress_ = 0, last_p_stress_ = 0;
};

constexpr int kUnknowns = 200;
constexpr double kTol = 1e-8;
// Relative error per operator application: float32 rounding of a long sum is ~1e-6; 1e-4 makes the
// gap between recursive and true residual certain within the iteration budget.
constexpr double kNoise = 1e-4;

ElasticityResult solve_chain(ChainOps& ops) {
  detail::MixedControl mc;  // strain-controlled: E_xx = 1
  mc.fixed_strain[0] = 1.0;
  MacroLoading loading;
  loading.strain[0] = 1.0;
  ElasticityOptions options;
  options.tol = kTol;
  options.max_iter = 2000;
  return detail::mixed_pcg(ops, mc, loading, options, static_cast<double>(kUnknowns));
}

}  // namespace

TEST(CgTrueResidual, ExactOperatorWithSolutionIsConfirmed) {
  ChainOps ops(kUnknowns, 0.0, true);
  const ElasticityResult res = solve_chain(ops);
  EXPECT_TRUE(res.converged);
  EXPECT_TRUE(res.true_residual_checked);
  EXPECT_LE(res.residuals.back(), kTol);
  // The reported residual is a preconditioned norm; the plain one of b - A x is of the same order.
  EXPECT_LE(ops.true_relative_residual(1.0), 100 * kTol);
}

TEST(CgTrueResidual, WithoutSolutionOnlyTheRecursiveResidualIsReported) {
  ChainOps ops(kUnknowns, 0.0, false);
  const ElasticityResult res = solve_chain(ops);
  EXPECT_TRUE(res.converged);
  EXPECT_FALSE(res.true_residual_checked);
  // The mean stress from the recurrence equals the one of the kept-x run (same iterations, exact ops).
  ChainOps kept(kUnknowns, 0.0, true);
  const ElasticityResult ref = solve_chain(kept);
  EXPECT_NEAR(res.mean_stress[0], ref.mean_stress[0], 1e-9 * std::abs(ref.mean_stress[0]));
}

TEST(CgTrueResidual, DriftingRecursiveResidualIsCaughtWhenXIsKept) {
  // Negative control: without x the perturbed run claims convergence although b - A x is far above tol.
  ChainOps blind(kUnknowns, kNoise, false);
  const ElasticityResult claimed = solve_chain(blind);
  EXPECT_TRUE(claimed.converged);
  EXPECT_FALSE(claimed.true_residual_checked);
  // With x: the check sees the gap, restarts from the true residual, and either truly converges or
  // stops at the precision floor flagged not converged; never a false claim.
  ChainOps checked(kUnknowns, kNoise, true);
  const ElasticityResult res = solve_chain(checked);
  EXPECT_TRUE(res.true_residual_checked);
  const double true_res = checked.true_relative_residual(1.0);
  if (res.converged)
    EXPECT_LE(true_res, 100 * kTol);
  else
    EXPECT_GT(res.residuals.back(), kTol);
  EXPECT_GT(res.residuals.size(), claimed.residuals.size());  // it did restart
}

TEST(CgMemoryPlan, KeepsSolutionWhenRequiredOrWhenItFits) {
  const double mib = 1024.0 * 1024.0;
  const double minimum = 37.0 * 1e6, x = 12.0 * 1e6;  // 1e6 voxels: 37 B minimum, 12 B for x
  // Plenty of room: x kept for homogenization too (convergence confirmed), bytes include it.
  auto plan = detail::plan_cg_memory(minimum, x, 1e12, false, false);
  EXPECT_TRUE(plan.keep_solution);
  EXPECT_DOUBLE_EQ(plan.bytes, minimum + x);
  // Room for the minimum only: 3 vectors.
  const double tight = detail::with_gpu_headroom(minimum) + 1.0;
  ASSERT_LT(tight, detail::with_gpu_headroom(minimum + x));
  plan = detail::plan_cg_memory(minimum, x, tight, false, false);
  EXPECT_FALSE(plan.keep_solution);
  EXPECT_DOUBLE_EQ(plan.bytes, minimum);
  // Fields asked: x whatever the room (the caller's memory check then fails loudly if it does not fit).
  plan = detail::plan_cg_memory(minimum, x, tight, true, false);
  EXPECT_TRUE(plan.keep_solution);
  // VOXTWIN_CUDA_MIN_MEMORY: the minimum even with room.
  plan = detail::plan_cg_memory(minimum, x, 1e12, false, true);
  EXPECT_FALSE(plan.keep_solution);
  EXPECT_GT(detail::with_gpu_headroom(minimum), minimum + 64 * mib - 1);
}
