#pragma once
// Voxel volumes: C-contiguous arrays indexed vol[x, y, z] (axis 0 = X), so the
// linear index of (x, y, z) is (x * ny + y) * nz + z.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace voxtwin {

/// Extent of a voxel grid in voxels along X, Y, Z.
struct Shape3 {
  std::int64_t nx = 0, ny = 0, nz = 0;

  /// Number of voxels.
  std::int64_t size() const { return nx * ny * nz; }
  /// Linear index of voxel (x, y, z) in a C-contiguous vol[x, y, z] array.
  std::int64_t index(std::int64_t x, std::int64_t y, std::int64_t z) const { return (x * ny + y) * nz + z; }
  bool operator==(const Shape3& o) const { return nx == o.nx && ny == o.ny && nz == o.nz; }
  bool operator!=(const Shape3& o) const { return !(*this == o); }
};

/// Throws std::invalid_argument unless every extent is positive; `name` is the argument's name.
void require_valid_shape(const Shape3& shape, const std::string& name);

/// A non-owning view of a C-contiguous 3D array.
template <class T>
struct VolumeView {
  T* data = nullptr;
  Shape3 shape;

  T& operator()(std::int64_t x, std::int64_t y, std::int64_t z) const { return data[shape.index(x, y, z)]; }
  std::int64_t size() const { return shape.size(); }
};

}  // namespace voxtwin
