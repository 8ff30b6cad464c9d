#pragma once
// Device memory plan of the GPU's float32 CG (cuda/elasticity_cg.cu), host code kept here so that a
// CPU test checks it: whether the solution x is kept on the device, and the bytes to require.
//
// The CG needs r, p, q (36 B per voxel) plus labels, tables and the cuFFT work area. x (12 B per
// voxel more) is needed for the fields, and for the true residual b - A x that confirms float32
// convergence (the recursively updated r drifts from it). A copy of x cannot be cheaper: x to half
// precision would put ~5e-4 relative error into b - A x, above any tolerance worth confirming, and x
// cannot be rebuilt from r, p, q. So homogenization keeps x whenever the device has room for it and
// confirms convergence exactly as the CPU does; only a volume that fits no other way runs on the
// 3-vector minimum (<= 40 B per voxel with the work area), and its result says that its convergence
// rests on the recursive residual (ElasticityResult::true_residual_checked false).

namespace voxtwin::detail {

/// Free device memory must exceed the need by this margin: allocator granularity and cuFFT's and
/// the runtime's own small allocations (2 % and 64 MiB).
inline double with_gpu_headroom(double need) { return need * 1.02 + 64.0 * 1024 * 1024; }

struct CgMemoryPlan {
  bool keep_solution = false;  ///< x allocated: fields can be downloaded and the true residual formed
  double bytes = 0.0;          ///< device bytes the solve allocates (without headroom)
};

/// `minimum_bytes`: everything but x (vectors r, p, q, labels, tables, cuFFT work area);
/// `solution_bytes`: x; `free_bytes`: cudaMemGetInfo's free memory; `want_fields`: the caller asks
/// for fields (x is then required); `minimal`: keep x only when required (VOXTWIN_CUDA_MIN_MEMORY).
/// The plan keeps x when required, or when it fits with headroom and `minimal` is not set.
inline CgMemoryPlan plan_cg_memory(double minimum_bytes, double solution_bytes, double free_bytes, bool want_fields,
                                   bool minimal) {
  CgMemoryPlan plan;
  const double with_x = minimum_bytes + solution_bytes;
  plan.keep_solution = want_fields || (!minimal && with_gpu_headroom(with_x) <= free_bytes);
  plan.bytes = plan.keep_solution ? with_x : minimum_bytes;
  return plan;
}

}  // namespace voxtwin::detail
