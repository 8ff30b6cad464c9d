#pragma once
// White noise and separable kernels of the Gaussian random fields (gaussian_field.hpp), shared by
// the CPU (cpp/src/gaussian_field.cpp) and CUDA (cuda/gaussian_field.cu) sides. Only +, -, *, /,
// sqrt (IEEE-rounded on both) and integer operations: with no fused multiply-add
// (-ffp-contract=off / -fmad=false) both sides give the same bits. log, sin and cos are short
// polynomials here (not libm / CUDA intrinsics, which round differently), also so that the CPU
// loops vectorize.
#include <cstdint>
#include <cstring>

#include "voxtwin/detail/host_device.hpp"

namespace voxtwin::detail {

VOXTWIN_HD inline std::uint64_t noise_mix(std::uint64_t z) {  // splitmix64 finalizer
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Key of one field (seed, stream): independent fields of one seed.
VOXTWIN_HD inline std::uint64_t noise_key(std::uint64_t seed, std::uint64_t stream) {
  return noise_mix(noise_mix(seed + 0x9E3779B97F4A7C15ULL) ^ (stream * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL));
}

/// Hash of normal pair q: two 24-bit uniforms in its bits 40..63 and 16..39.
VOXTWIN_HD inline std::uint64_t noise_hash(std::uint64_t key, std::uint64_t q) {
  return noise_mix(key + (q + 1) * 0x9E3779B97F4A7C15ULL);
}

VOXTWIN_HD inline float bits_float(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

VOXTWIN_HD inline std::uint32_t float_bits(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

/// Natural log of u in (0, 1] (normal floats): exponent split, m in [sqrt(1/2), sqrt(2)), then
/// log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172, to s^9 (error < 1e-9 before rounding).
VOXTWIN_HD inline float unit_log(float u) {
  const std::uint32_t b = float_bits(u);
  int e = static_cast<int>((b >> 23) & 0xFFu) - 127;
  float m = bits_float((b & 0x7FFFFFu) | 0x3F800000u);
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e += big ? 1 : 0;
  const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  const float p = s2 * (0.33333333f + s2 * (0.2f + s2 * (0.14285714f + s2 * 0.11111111f)));
  return static_cast<float>(e) * 0.69314718f + (2.0f * s + 2.0f * s * p);
}

/// cos and sin of 2 pi u for u in [0, 1): quadrant from 4u (exact for 24-bit u), Taylor series on
/// [0, pi/2) to x^11 / x^12 (errors < 6e-8; coefficients as float reciprocals), rotated by the quadrant.
VOXTWIN_HD inline void turn_cos_sin(float u, float& c, float& s) {
  const float a = 4.0f * u;
  const int q = static_cast<int>(a);
  const float t = (a - static_cast<float>(q)) * 1.57079633f, t2 = t * t;
  const float sn = t * (1.0f - t2 * 0.16666667f * (1.0f - t2 * 0.05f * (1.0f - t2 * 0.023809524f *
                                                  (1.0f - t2 * 0.013888889f * (1.0f - t2 * 0.0090909091f)))));
  const float cs = 1.0f - t2 * 0.5f * (1.0f - t2 * 0.083333333f * (1.0f - t2 * 0.033333333f *
                                       (1.0f - t2 * 0.017857143f * (1.0f - t2 * 0.011111111f * (1.0f - t2 * 0.0075757576f)))));
  // cos(t + q pi/2), sin(t + q pi/2)
  const bool odd = (q & 1) != 0, flip_c = q == 1 || q == 2, flip_s = q >= 2;
  const float cc = odd ? sn : cs, ss = odd ? cs : sn;
  c = flip_c ? -cc : cc;
  s = flip_s ? -ss : ss;
}

/// The two uniforms of hash h: u1 in (0, 1) (the log is finite; tails end at 5.8 sigma), u2 in [0, 1).
VOXTWIN_HD inline void noise_uniforms(std::uint64_t h, float& u1, float& u2) {
  u1 = (static_cast<float>(static_cast<std::uint32_t>(h >> 40)) + 0.5f) * 5.9604645e-08f;  // 2^-24
  u2 = static_cast<float>(static_cast<std::uint32_t>((h >> 16) & 0xFFFFFFu)) * 5.9604645e-08f;
}

/// Box-Muller on the uniforms (u1, u2): the normals of indices 2q (cos) and 2q + 1 (sin).
VOXTWIN_HD inline void box_muller(float u1, float u2, float& c, float& s) {
  const float r = std::sqrt(-2.0f * unit_log(u1));
  float cw, sw;
  turn_cos_sin(u2, cw, sw);
  c = r * cw;
  s = r * sw;
}

/// Box-Muller on the two 24-bit uniforms of hash h.
VOXTWIN_HD inline void normal_pair(std::uint64_t h, float& c, float& s) {
  float u1, u2;
  noise_uniforms(h, u1, u2);
  box_muller(u1, u2, c, s);
}

/// Normal deviate at linear index i of the field with key `key`.
VOXTWIN_HD inline float noise_at(std::uint64_t key, std::uint64_t i) {
  float c, s;
  normal_pair(noise_hash(key, i >> 1), c, s);
  return (i & 1) ? s : c;
}

/// Wraps index i (any integer) into [0, n).
VOXTWIN_HD inline std::int64_t wrap_index(std::int64_t i, std::int64_t n) { return ((i % n) + n) % n; }

}  // namespace voxtwin::detail
