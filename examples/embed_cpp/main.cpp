// Embedding voxtwin in a C++ program: materials, a rotated fibre stiffness, and phase
// fractions of a small voxel volume, computed by the same library the Python package uses.
#include <voxtwin/voxtwin.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  std::printf("voxtwin %s (%d CPU threads)\n", voxtwin::version(), voxtwin::get_num_threads());

  // Seed 000's basalt fibre and PLA matrix.
  const voxtwin::Material basalt = voxtwin::isotropic(87.5, 0.2, 8.0e-6, "basalt_fibre", 2.67);
  const voxtwin::Material pla = voxtwin::isotropic(3.4, 0.33, 68e-6, "pla", 1.25);
  std::printf("basalt C11 = %.3f GPa, PLA C11 = %.3f GPa\n", basalt.C(0, 0), pla.C(0, 0));

  // A carbon fibre laid at 45 degrees in the XY plane.
  const voxtwin::Material t300 = voxtwin::transversely_isotropic(230, 15, 15, 0.2, 0.0714, -0.7e-6, 12e-6,
                                                                 Eigen::Vector3d(1, 1, 0), "t300", 1.76);
  std::printf("T300 at 45 deg: C11 = %.3f, C22 = %.3f, C16 = %.3f GPa\n", t300.C(0, 0), t300.C(1, 1), t300.C(0, 5));

  // Phase fractions of a 20^3 block with a fibre slab of 4 voxels along X.
  const voxtwin::Shape3 shape{20, 20, 20};
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(shape.size()), 0);
  for (int x = 0; x < 20; ++x)
    for (int y = 8; y < 12; ++y)
      for (int z = 0; z < 20; ++z) labels[static_cast<std::size_t>(shape.index(x, y, z))] = 1;
  const auto counts = voxtwin::phase_counts({labels.data(), shape});
  const double fibre_fraction = static_cast<double>(counts[1]) / static_cast<double>(shape.size());
  std::printf("fibre fraction = %.3f\n", fibre_fraction);

  // Exit status tells a script whether the numbers are right.
  const bool ok = fibre_fraction == 0.2 && std::abs(t300.C(0, 0) - t300.C(1, 1)) < 1e-9 && basalt.C(0, 0) > pla.C(0, 0);
  std::printf("%s\n", ok ? "OK" : "UNEXPECTED RESULT");
  return ok ? 0 : 1;
}
