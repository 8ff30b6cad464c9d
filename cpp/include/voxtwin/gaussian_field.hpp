#pragma once
// Periodic stationary Gaussian random fields with the orthotropic squared-exponential covariance
//   rho(r) = exp(-(rx^2 / lx^2 + ry^2 / ly^2 + rz^2 / lz^2) / 2)       (lengths in voxels)
// synthesized so that any slab of x-planes has the same bytes as the same planes of the whole field:
//  - white noise is a counter-based function of (seed, stream, global voxel index): no RNG state;
//  - along x the noise is convolved in real space with the sampled square-root kernel
//    k(j) ~ exp(-j^2 / lx^2), |j| <= R = ceil(3 lx), sum k^2 = 1 (x-periodic by wrapping indices): each plane
//    reads only the 2R + 1 noise planes around it, in a fixed order;
//  - in (y, z) each plane is filtered by FFT (FFTW, one plan, aligned buffers) with the exact
//    periodic spectral density of the sampled covariance, so the y/z correlation is exact on the grid.
// A plane's bytes therefore depend only on its global index, never on the slab or the thread count.
#include <array>
#include <cstdint>

#include "voxtwin/volume.hpp"

namespace voxtwin {

struct GaussianFieldSpec {
  Shape3 shape;                             ///< whole (periodic) field, voxels
  std::array<double, 3> lengths{1, 1, 1};   ///< correlation lengths lx, ly, lz in voxels (0 = white)
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;                 ///< independent fields of one seed (chi^2 components, ...)
};

/// Radius R (voxels) of the x kernel for correlation length `lx` (voxels).
std::int64_t gaussian_kernel_radius(double lx);

/// Planes x0 <= x < x1 of the unit-variance field into `out` (shape (x1 - x0, ny, nz), float32).
void gaussian_field(const GaussianFieldSpec& spec, std::int64_t x0, std::int64_t x1, const VolumeView<float>& out);

/// The standard normal deviate of the white noise at (seed, stream, linear index).
double white_noise(std::uint64_t seed, std::uint64_t stream, std::uint64_t index);

}  // namespace voxtwin
