#include "voxtwin/composite_voxels.hpp"

#include <stdexcept>
#include <string>

#include "voxtwin/detail/composite_block.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

namespace {

void require_factor(int factor) {
  if (factor < 1 || factor > kMaxCompositeFactor)
    throw std::invalid_argument("`factor` must be an int in [1, " + std::to_string(kMaxCompositeFactor) +
                                "], got factor=" + std::to_string(factor));
}

void require_options(const CompositeOptions& o) {
  if (o.fibres.centre.size() != o.fibres.direction.size() || o.fibres.centre.size() % 3 != 0)
    throw std::invalid_argument("`fibres` must hold 3 centre and 3 direction components per fibre, got " +
                                std::to_string(o.fibres.centre.size()) + " and " +
                                std::to_string(o.fibres.direction.size()) + " values");
  const std::size_t n = o.fibres.centre.size() / 3;
  if (o.fibres.half_length.size() != o.fibres.radius.size() || (o.fibres.capped() && o.fibres.half_length.size() != n))
    throw std::invalid_argument("`fibres` lengths and radii must be given for every fibre or not at all, got " +
                                std::to_string(o.fibres.half_length.size()) + " and " +
                                std::to_string(o.fibres.radius.size()) + " for " + std::to_string(n) + " fibres");
  for (int l = 0; l < 256; ++l)
    if (o.weights[l] < -(1 << 20) || o.weights[l] > (1 << 20))
      throw std::invalid_argument("`weights` must lie in [-2^20, 2^20], got weights[" + std::to_string(l) +
                                  "]=" + std::to_string(o.weights[l]));
}

}  // namespace

Shape3 coarse_shape(const Shape3& fine, int factor) {
  require_valid_shape(fine, "labels");
  require_factor(factor);
  if (fine.nx % factor || fine.ny % factor || fine.nz % factor)
    throw std::invalid_argument("the shape of `labels` must be divisible by `factor`, got shape (" +
                                std::to_string(fine.nx) + ", " + std::to_string(fine.ny) + ", " +
                                std::to_string(fine.nz) + ") and factor=" + std::to_string(factor));
  return Shape3{fine.nx / factor, fine.ny / factor, fine.nz / factor};
}

Shape3 composite_grid(const Shape3& fine, const CompositeOptions& options) {
  const Shape3 coarse = coarse_shape(fine, options.factor);
  require_options(options);
  return coarse;
}

void composite_cells(const VolumeView<const std::uint8_t>& labels, const CompositeOptions& options,
                     CompositeCell* out) {
  const Shape3 coarse = composite_grid(labels.shape, options);
  detail::WholeVolume src{labels.data, options.instances, labels.shape, options.periodic};
  detail::BlockParams p;
  p.factor = options.factor;
  p.periodic = options.periodic;
  p.shape = labels.shape;
  p.weights = options.weights.data();
  p.use_fibres = options.instances != nullptr;
  p.centres = options.fibres.centre.data();
  p.directions = options.fibres.direction.data();
  p.n_fibres = options.fibres.size();
  p.half_lengths = options.fibres.capped() ? options.fibres.half_length.data() : nullptr;
  p.rounded = options.fibres.rounded;
  p.radii = options.fibres.capped() ? options.fibres.radius.data() : nullptr;
  const std::int64_t planes = coarse.nx * coarse.ny;
#pragma omp parallel for schedule(static) num_threads(get_num_threads())
  for (std::int64_t xy = 0; xy < planes; ++xy) {
    const std::int64_t X = xy / coarse.ny, Y = xy % coarse.ny;
    for (std::int64_t Z = 0; Z < coarse.nz; ++Z) out[coarse.index(X, Y, Z)] = detail::composite_block(src, X, Y, Z, p);
  }
}

void majority_vote(const VolumeView<const std::uint8_t>& labels, int factor, std::uint8_t* out) {
  const Shape3 coarse = coarse_shape(labels.shape, factor);
  detail::WholeVolume src{labels.data, nullptr, labels.shape, true};
  const std::int64_t planes = coarse.nx * coarse.ny;
#pragma omp parallel for schedule(static) num_threads(get_num_threads())
  for (std::int64_t xy = 0; xy < planes; ++xy) {
    const std::int64_t X = xy / coarse.ny, Y = xy % coarse.ny;
    for (std::int64_t Z = 0; Z < coarse.nz; ++Z)
      out[coarse.index(X, Y, Z)] = detail::majority_block(src, X, Y, Z, factor);
  }
}

}  // namespace voxtwin
