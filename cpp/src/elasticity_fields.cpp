// Local fields of a solved cell problem (CPU): strain and stress at the voxel centres and the
// total displacement at the nodes. For trilinear hexahedra the centre values equal the means over
// the 2x2x2 Gauss points (the gradient is bilinear in the other two coordinates and C is constant
// per voxel), so one routine serves both integration rules.
#include <omp.h>

#include "elasticity_solvers.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/elasticity.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

template <class T, class L>
void elasticity_fields(const VolumeView<const L>& index, const MaterialTable& table, const T* u,
                       const Vector6& mean_strain, double delta_T, const ElasticityOptions& options,
                       const ElasticityFields<T>& fields) {
  require_valid_shape(index.shape, "labels");
  const std::vector<detail::MaterialEntry<T>> entries = detail::material_entries<T>(table);
  // A compact grid: the padded layout with no padding.
  detail::PaddedGrid g;
  g.nx = index.shape.nx;
  g.ny = index.shape.ny;
  g.nz = index.shape.nz;
  g.nzc = g.nz / 2 + 1;
  g.nzp = g.nz;
  const std::int64_t n = g.voxels();
  T ih[3], E[6];
  for (int i = 0; i < 3; ++i) ih[i] = static_cast<T>(1.0 / options.voxel_size[i]);
  for (int i = 0; i < 6; ++i) E[i] = static_cast<T>(mean_strain[i]);
  const T dT = static_cast<T>(delta_T);
  // Mean strain as a tensor, for the affine part of the displacement.
  const double Et[3][3] = {{mean_strain[0], 0.5 * mean_strain[5], 0.5 * mean_strain[4]},
                           {0.5 * mean_strain[5], mean_strain[1], 0.5 * mean_strain[3]},
                           {0.5 * mean_strain[4], 0.5 * mean_strain[3], mean_strain[2]}};
  if (!u && fields.stress && !fields.strain)
    throw std::invalid_argument("elasticity_fields needs a displacement `u` or an input strain field");

#pragma omp parallel for num_threads(detail::solver_threads(index.shape)) schedule(static)
  for (std::int64_t x = 0; x < g.nx; ++x) {
    for (std::int64_t y = 0; y < g.ny; ++y)
      for (std::int64_t z = 0; z < g.nz; ++z) {
        const std::int64_t i = g.at(x, y, z);
        T e[6];
        if (u) {
          T uc[3][8], gr[3][3];
          detail::gather_corners(u, g, x, y, z, uc);
          detail::reduced_gradient(uc, ih, gr);
          detail::strain_from_gradient(gr, E, e);
          if (fields.strain)
            for (int c = 0; c < 6; ++c) fields.strain[c * n + i] = e[c];
        } else {
          for (int c = 0; c < 6; ++c) e[c] = fields.strain[c * n + i];
        }
        if (fields.stress) {
          T s[6];
          detail::entry_stress(entries[index.data[i]], e, dT, s);
          for (int c = 0; c < 6; ++c) fields.stress[c * n + i] = s[c];
        }
      }
  }
  if (fields.displacement && u) {
    const double pos_h[3] = {options.voxel_size[0], options.voxel_size[1], options.voxel_size[2]};
#pragma omp parallel for num_threads(detail::solver_threads(index.shape)) schedule(static)
    for (std::int64_t x = 0; x < g.nx; ++x)
      for (std::int64_t y = 0; y < g.ny; ++y)
        for (std::int64_t z = 0; z < g.nz; ++z) {
          const std::int64_t i = g.at(x, y, z);
          const double X[3] = {x * pos_h[0], y * pos_h[1], z * pos_h[2]};
          for (int c = 0; c < 3; ++c) {
            const double affine = (Et[c][0] * X[0] + Et[c][1] * X[1]) + Et[c][2] * X[2];
            fields.displacement[c * n + i] = static_cast<T>(static_cast<double>(u[c * n + i]) + affine);
          }
        }
  }
}

#define VOXTWIN_INSTANTIATE(T, L)                                                                             \
  template void elasticity_fields<T, L>(const VolumeView<const L>&, const MaterialTable&, const T*,          \
                                        const Vector6&, double, const ElasticityOptions&,                     \
                                        const ElasticityFields<T>&);
VOXTWIN_ELASTICITY_TYPES(VOXTWIN_INSTANTIATE)
#undef VOXTWIN_INSTANTIATE

}  // namespace voxtwin
