#pragma once
// Periodic stationary Gaussian random fields with the orthotropic squared-exponential covariance
//   rho(r) = exp(-(rx^2 / lx^2 + ry^2 / ly^2 + rz^2 / lz^2) / 2)       (lengths in voxels)
// synthesized so that any slab of x-planes has the same bytes as the same planes of the whole field,
// on every thread count and on the CPU and the GPU alike:
//  - white noise is a counter-based function of (seed, stream, global voxel index): no RNG state;
//  - the noise is convolved separably along x, y and z in real space (periodic: indices wrap) with
//    the square-root kernel of the sampled covariance per axis (gaussian_kernel: exact on the
//    integer lattice up to the truncation at |j| <= R >= ceil(3 l), a < 1e-8 share of the variance);
//    each plane reads only the 2R + 1 noise planes around it, in a fixed order;
//  - float arithmetic in a fixed order with no fused multiply-add, and log / sin / cos as shared
//    polynomials (detail/gaussian_noise.hpp), so a plane's bytes depend only on its global index.
#include <array>
#include <cstdint>
#include <vector>

#include "voxtwin/volume.hpp"

namespace voxtwin {

struct GaussianFieldSpec {
  Shape3 shape;                             ///< whole (periodic) field, voxels
  std::array<double, 3> lengths{1, 1, 1};   ///< correlation lengths lx, ly, lz in voxels (0 = white)
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;                 ///< independent fields of one seed (chi^2 components, ...)
};

/// Radius R (voxels) of the kernel for correlation length `l` (voxels): at least 3 l, more where
/// the tail would hold more than 1e-8 of the variance.
std::int64_t gaussian_kernel_radius(double l);

/// Weights k[0..R] of the symmetric square-root kernel (k[j] at offsets +-j) for correlation
/// length `l` (voxels): sum_j k(j) k(j + d) = exp(-d^2 / (2 l^2)) on the integers, sum k^2 = 1.
std::vector<float> gaussian_kernel(double l);

/// Planes x0 <= x < x1 of the unit-variance field into `out` (shape (x1 - x0, ny, nz), float32).
void gaussian_field(const GaussianFieldSpec& spec, std::int64_t x0, std::int64_t x1, const VolumeView<float>& out);

/// The standard normal deviate of the white noise at (seed, stream, linear index).
double white_noise(std::uint64_t seed, std::uint64_t stream, std::uint64_t index);

namespace cuda {
/// CUDA twin of voxtwin::gaussian_field (defined in libvoxtwin_cuda; throws voxtwin::CudaError):
/// the same bytes as the CPU for the same spec and planes.
void gaussian_field(const GaussianFieldSpec& spec, std::int64_t x0, std::int64_t x1, const VolumeView<float>& out);
}  // namespace cuda

}  // namespace voxtwin
