// Local fields of a solved cell problem (CPU): strain and stress at the voxel centres and the
// total displacement at the nodes, on all planes of a grid or on the owned planes of a slab. For trilinear hexahedra the centre values equal the means over
// the 2x2x2 Gauss points (the gradient is bilinear in the other two coordinates and C is constant
// per voxel), so one routine serves both integration rules.
#include <omp.h>

#include "elasticity_solvers.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/elasticity.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

namespace detail {

template <class T, class L>
void slab_fields(const L* labels, const PaddedGrid& g, std::int64_t x_begin, std::int64_t x_end, std::int64_t x_offset,
                 const MaterialTable& table, const T* u, const Vector6& mean_strain, double delta_T,
                 const ElasticityOptions& options, const ElasticityFields<T>& fields, int threads) {
  const std::vector<MaterialEntry<T>> entries = material_entries<T>(table);
  const std::int64_t nyz = g.ny * g.nz, n = (x_end - x_begin) * nyz;
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

#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t x = x_begin; x < x_end; ++x) {
    for (std::int64_t y = 0; y < g.ny; ++y)
      for (std::int64_t z = 0; z < g.nz; ++z) {
        const std::int64_t i = (x - x_begin) * nyz + y * g.nz + z;  // compact output
        T e[6];
        if (u) {
          T uc[3][8], gr[3][3];
          gather_corners(u, g, x, y, z, uc);
          reduced_gradient(uc, ih, gr);
          strain_from_gradient(gr, E, e);
          if (fields.strain)
            for (int c = 0; c < 6; ++c) fields.strain[c * n + i] = e[c];
        } else {
          for (int c = 0; c < 6; ++c) e[c] = fields.strain[c * n + i];
        }
        if (fields.stress) {
          T s[6];
          entry_stress(entries[labels[(x * g.ny + y) * g.nz + z]], e, dT, s);
          for (int c = 0; c < 6; ++c) fields.stress[c * n + i] = s[c];
        }
      }
  }
  if (fields.displacement && u) {
    const double pos_h[3] = {options.voxel_size[0], options.voxel_size[1], options.voxel_size[2]};
    const std::int64_t comp = g.component();
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t x = x_begin; x < x_end; ++x)
      for (std::int64_t y = 0; y < g.ny; ++y)
        for (std::int64_t z = 0; z < g.nz; ++z) {
          const std::int64_t i = (x - x_begin) * nyz + y * g.nz + z;
          const double X[3] = {(x - x_begin + x_offset) * pos_h[0], y * pos_h[1], z * pos_h[2]};
          for (int c = 0; c < 3; ++c) {
            const double affine = (Et[c][0] * X[0] + Et[c][1] * X[1]) + Et[c][2] * X[2];
            fields.displacement[c * n + i] = static_cast<T>(static_cast<double>(u[c * comp + g.at(x, y, z)]) + affine);
          }
        }
  }
}

#define VOXTWIN_INSTANTIATE(T, L)                                                                                  \
  template void slab_fields<T, L>(const L*, const PaddedGrid&, std::int64_t, std::int64_t, std::int64_t,          \
                                  const MaterialTable&, const T*, const Vector6&, double, const ElasticityOptions&, \
                                  const ElasticityFields<T>&, int);
VOXTWIN_ELASTICITY_TYPES(VOXTWIN_INSTANTIATE)
#undef VOXTWIN_INSTANTIATE

}  // namespace detail

template <class T, class L>
void elasticity_fields(const VolumeView<const L>& index, const MaterialTable& table, const T* u,
                       const Vector6& mean_strain, double delta_T, const ElasticityOptions& options,
                       const ElasticityFields<T>& fields) {
  require_valid_shape(index.shape, "labels");
  // A compact grid: the padded layout with no padding.
  detail::PaddedGrid g;
  g.nx = index.shape.nx;
  g.ny = index.shape.ny;
  g.nz = index.shape.nz;
  g.nzc = g.nz / 2 + 1;
  g.nzp = g.nz;
  detail::slab_fields<T, L>(index.data, g, 0, g.nx, 0, table, u, mean_strain, delta_T, options, fields,
                            detail::solver_threads(index.shape));
}

#define VOXTWIN_INSTANTIATE(T, L)                                                                             \
  template void elasticity_fields<T, L>(const VolumeView<const L>&, const MaterialTable&, const T*,          \
                                        const Vector6&, double, const ElasticityOptions&,                     \
                                        const ElasticityFields<T>&);
VOXTWIN_ELASTICITY_TYPES(VOXTWIN_INSTANTIATE)
#undef VOXTWIN_INSTANTIATE

}  // namespace voxtwin
