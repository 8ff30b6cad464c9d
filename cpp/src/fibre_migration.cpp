// Sequential addition and migration: fibres start where they fall, overlaps allowed, and are then
// pushed apart by gradient steps on a pairwise overlap energy, with a term that holds the
// orientation tensor (Schneider 2017, "The sequential addition and migration method to generate
// representative volume elements for the homogenization of short fiber reinforced plastics";
// the overlap penalty and the tensor term follow its formulation, the step is plain gradient
// descent with momentum). Geometry and spatial hash: capsule_hash.hpp, as for RSA.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "capsule_hash.hpp"
#include "voxtwin/detail/fibre_solid.hpp"
#include "voxtwin/detail/random.hpp"
#include "voxtwin/fibres.hpp"
#include "voxtwin/parallel.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace voxtwin {

namespace {

using detail::Capsule;

constexpr double kStep = 0.5;        // share of an overlap a fibre resolves per step (both partners move)
constexpr double kMomentum = 0.6;    // heavy-ball momentum; reset per fibre when it points uphill
constexpr double kMargin = 0.005;    // pushes aim past the contact by this share of it, so steps end clear
constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
constexpr int kStall = 100;          // steps without fewer overlapping pairs before fibres shrink
constexpr double kShrink = 0.95;     // ... by this factor, to let crossing fibres slide past each other
constexpr double kGrow = 1.01;       // regrowth per resolved state, back to full size
constexpr int kCentreTries = 64;
constexpr int kDepositTries = 32;    // spots in the plane tried per planar fibre before it is left overlapping
// A re-deposited planar fibre with no free spot may overlap fibres beside it in the plane (not
// crossing it) by up to this share of the contact distance: migration pushes such pairs apart in
// the plane, making room, whereas fibres crossing in one plane can only push along its normal.
constexpr double kBeside = 0.5;
// Fibres per step below which threads cost more than they save: a step is a few µs per fibre,
// and hundreds of steps each pay the fork and join (badly so on a busy machine).
constexpr std::int64_t kParallelFibres = 1024;

void normalize(double* u) {
  const double n = std::sqrt(detail::dot3(u, u));
  for (int a = 0; a < 3; ++a) u[a] /= n;
}

// A unit vector normal to u, for pushing apart two fibres whose axes cross exactly.
void any_normal(const double* u, double* out) {
  const double e[3] = {std::fabs(u[0]) < 0.9 ? 1.0 : 0.0, std::fabs(u[0]) < 0.9 ? 0.0 : 1.0, 0.0};
  out[0] = u[1] * e[2] - u[2] * e[1];
  out[1] = u[2] * e[0] - u[0] * e[2];
  out[2] = u[0] * e[1] - u[1] * e[0];
  normalize(out);
}

}  // namespace

struct FibreMigrator::Impl {
  FibreShape shape;
  FibreGrid grid;
  detail::GridGeom g;
  VolumeView<const std::uint8_t> mask;
  MigrationOptions opt;
  double period[3];
  bool hold_tensor = false;
  bool planar = false;

  std::vector<Fibre> fibres;
  std::vector<Capsule> caps;
  std::vector<double> weight;             // fibre volume share among the mobile fibres (tensor weights)
  std::vector<std::array<double, 3>> vc;  // momentum of centres
  std::vector<std::array<double, 3>> vu;  // momentum of directions
  std::vector<std::array<double, 3>> fc;  // push on centres (descent direction)
  std::vector<std::array<double, 3>> fu;  // push on directions (descent direction, not yet tangent)
  std::vector<std::int64_t> pairs_of;     // overlapping pairs counted at each fibre
  std::vector<double> worst_of;           // its largest overlap
  std::vector<std::uint8_t> forbidden;    // covers a voxel the mask forbids

  detail::CapsuleHash hash;
  double cell_size = 0.0;
  detail::CapsuleHash deposit_hash;          // fibres deposited so far (planar start)
  std::vector<double> heights;               // scratch of slide()
  int plane_axis = -1;                       // grid axis normal to planar fibres (deposition), else -1
  std::int64_t relocations = 0;              // rounds of relocate_overlapping() so far
  double scale = 1.0;                       // size of the mobile fibres in the overlap test
  std::int64_t best_pairs = kNone;      // fewest overlapping pairs at this scale so far
  std::int64_t since_best = 0;              // steps since then
  std::vector<detail::HashQuery> queries;  // one per thread
  MigrationStatus status;

  std::size_t n() const { return fibres.size(); }
  bool mobile(std::size_t i) const { return static_cast<std::int64_t>(i) >= opt.fixed; }

  bool mask_forbids(const Fibre& f) const {
    if (!mask.data) return false;
    const detail::FibreSolid s = detail::make_solid(f, shape, g, detail::candidate_growth(g.h, false));
    return detail::count_voxels(s, g, mask.data) < 0;
  }

  void draw_centres() {
    for (std::size_t i = static_cast<std::size_t>(std::max(opt.fixed, opt.draw_from)); i < n(); ++i) {
      Fibre& f = fibres[i];
      for (int t = 0; t < kCentreTries; ++t) {
        const std::uint64_t base = (static_cast<std::uint64_t>(i) * kCentreTries + static_cast<std::uint64_t>(t)) * 3u;
        for (int a = 0; a < 3; ++a)
          f.centre[a] = opt.lo[a] + (opt.hi[a] - opt.lo[a]) * detail::uniform01(opt.key, base + static_cast<std::uint64_t>(a));
        if (!mask_forbids(f)) break;
      }
    }
  }

  // Slides f along axis k from its height upwards (wrapping when periodic) to the first height
  // just above a fibre of its column, or its own, where `fits` and the mask allow it.
  template <class Fits>
  bool slide(Fibre& f, int k, const std::vector<Capsule>& held, Fits&& fits) {
    Capsule p = detail::make_capsule(f, shape);
    Capsule column = p;  // its box stretched across the block along k
    column.ext[k] = 0.5 * period[k];
    heights.clear();
    heights.push_back(0.0);
    deposit_hash.visit(column, 0.0, queries[0], [&](std::int32_t j) {
      const Capsule& o = held[static_cast<std::size_t>(j)];
      double up = o.c[k] + (p.r + o.r + opt.min_gap) * (1.0 + 2.0 * kMargin) - p.c[k];
      if (g.periodic) up -= std::floor(up / period[k]) * period[k];
      heights.push_back(up);
      return false;
    });
    std::sort(heights.begin() + 1, heights.end());
    const double start = p.c[k];
    for (double up : heights) {
      if (!g.periodic && start + up > opt.hi[static_cast<std::size_t>(k)]) break;
      p.c[k] = start + up;
      if (g.periodic) p.c[k] -= std::floor(p.c[k] / period[k]) * period[k];
      Fibre moved = f;
      moved.centre[static_cast<std::size_t>(k)] = p.c[k];
      if (fits(p) && !mask_forbids(moved)) {
        f = moved;
        return true;
      }
    }
    return false;
  }

  // New random centres (round `relocations` of the key's stream) for the mobile fibres that overlap.
  void relocate_overlapping() {
    ++relocations;
    std::vector<char> found(n(), 0);
    if (plane_axis >= 0) {  // planar: into a free gap if there is one
      std::vector<char> place(n(), 0);
      for (std::size_t i = static_cast<std::size_t>(opt.fixed); i < n(); ++i) place[i] = worst_of[i] > 0.0;
      found = deposit(plane_axis, place, static_cast<int>(relocations));
    }
    for (std::size_t i = static_cast<std::size_t>(opt.fixed); i < n(); ++i) {
      if (worst_of[i] <= 0.0) continue;
      vc[i] = {0.0, 0.0, 0.0};
      vu[i] = {0.0, 0.0, 0.0};
      if (found[i]) continue;
      Fibre f = fibres[i];
      const std::uint64_t base = ((static_cast<std::uint64_t>(relocations) + 1u) * n() + i) * 3u * kCentreTries;
      for (int t = 0; t < kCentreTries; ++t) {
        for (int a = 0; a < 3; ++a)
          f.centre[static_cast<std::size_t>(a)] =
              opt.lo[static_cast<std::size_t>(a)] + (opt.hi[static_cast<std::size_t>(a)] - opt.lo[static_cast<std::size_t>(a)]) *
                  detail::uniform01(opt.key, base + 3u * static_cast<std::uint64_t>(t) + static_cast<std::uint64_t>(a));
        if (!mask_forbids(f)) break;
      }
      if (mask_forbids(f)) continue;
      fibres[i] = f;
      vc[i] = {0.0, 0.0, 0.0};
      vu[i] = {0.0, 0.0, 0.0};
    }
  }

  // Planar fibres do not get past each other by migration: two crossing at right angles push only
  // along the plane normal, so their order across the plane is fixed from the start, and random
  // starting heights stack chains of crossings taller than the block. So each one, in order,
  // slides from its random start along the normal (axis k, upwards and wrapping when periodic)
  // to the first height where it touches nothing held: just above one of the fibres its column
  // meets, or where it was. Heights stay uniform (no floor); a fibre that fits nowhere stays.
  // `place` (per fibre): those to deposit, in table order, among all the others held where they are.
  // Re-deposited fibres (salt > 0) with no free spot take one where they overlap only fibres beside
  // them in the plane (kBeside): from a jammed start, a fibre crossing another in its plane needs a
  // hop along the normal, which gradient steps never make, while overlaps beside each other push
  // the neighbours apart in the plane and so make room. Returns, per fibre, whether it found a spot.
  std::vector<char> deposit(int k, const std::vector<char>& place, int salt) {
    detail::CapsuleHash& local = deposit_hash;
    local.build(period, g.periodic != 0, cell_size);
    detail::HashQuery& q = queries[0];
    q.stamp.assign(n(), 0u);
    q.epoch = 0;
    std::vector<Capsule> held(n());
    bool beside = false;  // accept shallow overlaps with fibres beside it in the plane (see kBeside)
    auto fits = [&](const Capsule& p) {
      const double limit_gap = opt.min_gap * (1.0 + kMargin);
      return !local.visit(p, 0.5 * limit_gap, q, [&](std::int32_t j) {
        const Capsule& o = held[static_cast<std::size_t>(j)];
        const double limit = (p.r + o.r) * (1.0 + kMargin) + limit_gap;
        return detail::for_each_image(p, o, limit - p.r - o.r, g.periodic != 0, period, false, [&](const double* w) {
          double s, t;
          const double d2 = detail::segment_closest(w, p, o, &s, &t);
          if (d2 >= limit * limit) return false;
          if (!beside) return true;
          // The part of the closest-point separation within the plane: a push migration can make.
          double v[3];
          for (int a = 0; a < 3; ++a) v[a] = w[a] + s * p.u[a] - t * o.u[a];
          const double in_plane2 = d2 - v[k] * v[k];
          return in_plane2 < (1.0 - kBeside) * (1.0 - kBeside) * limit * limit;
        });
      });
    };
    const double grow = 0.5 * opt.min_gap * (1.0 + kMargin);
    for (std::size_t i = 0; i < n(); ++i)
      if (!place[i]) {
        held[i] = detail::make_capsule(fibres[i], shape);
        local.insert(static_cast<std::int32_t>(i), held[i], grow, q);
      }
    std::vector<char> found(n(), 0);
    // Spot t of fibre i: its own for the first deposition, else another in the plane (same start
    // along the normal).
    auto spot = [&](std::size_t i, int t) {
      Fibre f = fibres[i];
      if (t == 0 && salt == 0) return f;
      const std::uint64_t base = ((static_cast<std::uint64_t>(salt) + 1u) * n() + i) * 3u * kCentreTries +
                                 3u * static_cast<std::uint64_t>(t);
      for (int a = 0; a < 3; ++a)
        if (a != k)
          f.centre[static_cast<std::size_t>(a)] =
              opt.lo[static_cast<std::size_t>(a)] + (opt.hi[static_cast<std::size_t>(a)] - opt.lo[static_cast<std::size_t>(a)]) *
                  detail::uniform01(opt.key ^ 0xD1B54A32D192ED03ull, base + static_cast<std::uint64_t>(a));
      return f;
    };
    for (std::size_t i = 0; i < n(); ++i) {
      if (!place[i]) continue;
      // A free spot; failing that (re-deposition only), one where it only overlaps fibres beside it.
      for (int pass = 0; pass < (salt > 0 ? 2 : 1) && !found[i]; ++pass) {
        beside = pass == 1;
        for (int t = 0; t < kDepositTries; ++t) {
          Fibre f = spot(i, t);
          if (slide(f, k, held, fits)) {
            fibres[i] = f;
            found[i] = 1;
            break;
          }
        }
      }
      beside = false;
      held[i] = detail::make_capsule(fibres[i], shape);
      local.insert(static_cast<std::int32_t>(i), held[i], grow, q);
    }
    return found;
  }


  // Pushes on fibre i from every overlap it has (partners in hash order, images x slowest), the
  // overlapping pairs it counts (those with a fixed or later partner, its own images once) and
  // its largest overlap.
  void gather(std::size_t i, detail::HashQuery& q) {
    const Capsule& p = caps[i];
    double c[3] = {0.0, 0.0, 0.0}, u[3] = {0.0, 0.0, 0.0}, worst = 0.0;
    std::int64_t counted = 0;
    const double reach = 0.5 * opt.min_gap * (1.0 + kMargin) + kMargin * p.r;
    hash.visit(p, reach, q, [&](std::int32_t jj) {
      const std::size_t j = static_cast<std::size_t>(jj);
      const Capsule& o = caps[j];
      const bool self = j == i;
      const double limit = p.r + o.r + opt.min_gap;
      const double aim = limit * (1.0 + kMargin);
      bool overlapped = false;
      detail::for_each_image(p, o, aim - p.r - o.r, g.periodic != 0, period, self, [&](const double* w) {
        double s, t;
        const double d2 = detail::segment_closest(w, p, o, &s, &t);
        if (d2 >= aim * aim) return false;
        const double d = std::sqrt(d2);
        double nrm[3];
        if (d > 1e-9 * limit) {
          for (int a = 0; a < 3; ++a) nrm[a] = (w[a] + s * p.u[a] - t * o.u[a]) / d;
        } else {  // axes meet: push along their common normal, in opposite senses for the two fibres
          nrm[0] = p.u[1] * o.u[2] - p.u[2] * o.u[1];
          nrm[1] = p.u[2] * o.u[0] - p.u[0] * o.u[2];
          nrm[2] = p.u[0] * o.u[1] - p.u[1] * o.u[0];
          if (detail::dot3(nrm, nrm) > 1e-12) {
            normalize(nrm);
          } else {  // parallel as well: a normal of the lower-numbered fibre
            any_normal(j < i ? o.u : p.u, nrm);
            if (j < i) for (double& x : nrm) x = -x;
          }
        }
        const double push = aim - d;
        // The closest point of i moves with the centre and by s along the direction; for an
        // image of i itself both ends move with the direction, the centre cancels.
        const double lever = self ? s - t : s;
        for (int a = 0; a < 3; ++a) {
          if (!self) c[a] += push * nrm[a];
          u[a] += push * lever * nrm[a];
        }
        if (d < limit) {
          overlapped = true;
          worst = std::max(worst, limit - d);
        }
        return false;
      });
      if (overlapped && (self || !mobile(j) || j > i)) ++counted;
      return false;
    });
    for (int a = 0; a < 3; ++a) {
      fc[i][a] = c[a];
      fu[i][a] = u[a];
    }
    pairs_of[i] = counted;
    worst_of[i] = worst;
    forbidden[i] = mask_forbids(fibres[i]) ? 1 : 0;
  }

  // Fibres are tested at `scale` times their size (about their centres): < 1 after a stall.
  void rebuild_hash() {
    hash.clear();
    detail::HashQuery& q = queries[0];
    for (std::size_t i = 0; i < n(); ++i) {
      Fibre f = fibres[i];
      if (mobile(i)) {
        f.length *= scale;
        f.diameter *= scale;
      }
      caps[i] = detail::make_capsule(f, shape);
      hash.insert(static_cast<std::int32_t>(i), caps[i], 0.5 * opt.min_gap * (1.0 + kMargin) + kMargin * caps[i].r, q);
    }
  }

  // Volume-weighted orientation tensor of the mobile fibres, summed in table order.
  std::array<double, 9> tensor() const {
    std::array<double, 9> A{};
    for (std::size_t i = static_cast<std::size_t>(opt.fixed); i < n(); ++i)
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) A[3 * a + b] += weight[i] * fibres[i].direction[a] * fibres[i].direction[b];
    return A;
  }

  // Sweeps all fibres: pushes and the status. Returns the status.
  MigrationStatus survey(int threads) {
    if (queries.size() < static_cast<std::size_t>(threads)) queries.resize(static_cast<std::size_t>(threads));
    for (detail::HashQuery& q : queries) q.stamp.resize(n(), 0u);
    rebuild_hash();
    const std::int64_t count = static_cast<std::int64_t>(n());
#pragma omp parallel num_threads(threads) if (count >= kParallelFibres)
    {
#ifdef _OPENMP
      detail::HashQuery& q = queries[static_cast<std::size_t>(omp_get_thread_num())];
#else
      detail::HashQuery& q = queries[0];
#endif
#pragma omp for schedule(dynamic, 16)
      for (std::int64_t i = 0; i < count; ++i)
        if (mobile(static_cast<std::size_t>(i))) gather(static_cast<std::size_t>(i), q);
    }
    MigrationStatus s = status;
    s.overlapping_pairs = 0;
    s.max_overlap = 0.0;
    s.mask_violations = 0;
    for (std::size_t i = static_cast<std::size_t>(opt.fixed); i < n(); ++i) {
      s.overlapping_pairs += pairs_of[i];
      s.max_overlap = std::max(s.max_overlap, worst_of[i]);
      s.mask_violations += forbidden[i];
    }
    s.resolved = s.overlapping_pairs == 0 && s.mask_violations == 0;
    return s;
  }

  // One step of every mobile fibre along its pushes (pushes from survey()).
  void step(int threads) {
    std::array<double, 9> dA{};
    if (hold_tensor) {
      const std::array<double, 9> A = tensor();
      for (int k = 0; k < 9; ++k) dA[static_cast<std::size_t>(k)] = A[static_cast<std::size_t>(k)] - opt.target_tensor[static_cast<std::size_t>(k)];
    }
    const std::int64_t count = static_cast<std::int64_t>(n());
    // Without a mask a fibre's update is a few flops: not worth the threads.
#pragma omp parallel for schedule(static) num_threads(threads) if (mask.data && count >= kParallelFibres)
    for (std::int64_t ii = opt.fixed; ii < count; ++ii) {
      const std::size_t i = static_cast<std::size_t>(ii);
      Fibre f = fibres[i];
      const double half = std::max(caps[i].half, caps[i].r);
      double* u = f.direction.data();
      double gc[3], gu[3];
      for (int a = 0; a < 3; ++a) {
        gc[a] = kStep * fc[i][a];
        gu[a] = kStep * opt.rotation_mobility * fu[i][a] / (half * half);
        if (hold_tensor) gu[a] -= opt.tensor_weight * (dA[3 * a] * u[0] + dA[3 * a + 1] * u[1] + dA[3 * a + 2] * u[2]);
      }
      // Turn only within the sphere's tangent plane (and the orientation plane when planar).
      const double along = detail::dot3(gu, u);
      for (int a = 0; a < 3; ++a) gu[a] -= along * u[a];
      if (planar) {
        const double off = detail::dot3(gu, opt.plane_normal.data());
        for (int a = 0; a < 3; ++a) gu[a] -= off * opt.plane_normal[static_cast<std::size_t>(a)];
      }
      // Heavy ball, restarted for a fibre whose momentum points against its push.
      if (detail::dot3(vc[i].data(), gc) < 0.0) vc[i] = {0.0, 0.0, 0.0};
      if (detail::dot3(vu[i].data(), gu) < 0.0) vu[i] = {0.0, 0.0, 0.0};
      for (int a = 0; a < 3; ++a) {
        vc[i][static_cast<std::size_t>(a)] = kMomentum * vc[i][static_cast<std::size_t>(a)] + gc[a];
        vu[i][static_cast<std::size_t>(a)] = kMomentum * vu[i][static_cast<std::size_t>(a)] + gu[a];
        f.centre[static_cast<std::size_t>(a)] += vc[i][static_cast<std::size_t>(a)];
        u[a] += vu[i][static_cast<std::size_t>(a)];
      }
      if (planar) {  // remove the drift out of the plane that renormalization cannot
        const double off = detail::dot3(u, opt.plane_normal.data());
        for (int a = 0; a < 3; ++a) u[a] -= off * opt.plane_normal[static_cast<std::size_t>(a)];
      }
      normalize(u);
      for (int a = 0; a < 3; ++a) {
        double& x = f.centre[static_cast<std::size_t>(a)];
        if (g.periodic) {
          x -= std::floor(x / period[a]) * period[a];
          if (x >= period[a]) x = 0.0;  // rounding of a tiny negative x
        } else {
          x = std::min(std::max(x, opt.lo[static_cast<std::size_t>(a)]), opt.hi[static_cast<std::size_t>(a)]);
        }
      }
      if (mask.data && !forbidden[i] && mask_forbids(f)) {  // the mask is a wall: this fibre stays
        vc[i] = {0.0, 0.0, 0.0};
        vu[i] = {0.0, 0.0, 0.0};
        continue;
      }
      fibres[i] = f;
    }
  }
};

FibreMigrator::FibreMigrator(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid,
                             VolumeView<const std::uint8_t> mask, const MigrationOptions& options)
    : impl_(std::make_unique<Impl>()) {
  validate_grid(grid);
  validate_fibres(fibres, shape, "fibres");
  const MigrationOptions& o = options;
  if (!std::isfinite(o.min_gap) || o.min_gap < 0.0)
    throw std::invalid_argument("`min_gap` must be a finite number >= 0 µm, got min_gap=" + std::to_string(o.min_gap));
  if (o.fixed < 0 || o.fixed > static_cast<std::int64_t>(fibres.size()))
    throw std::invalid_argument("`fixed` must be in 0.." + std::to_string(fibres.size()) +
                                ", got fixed=" + std::to_string(o.fixed));
  if (fibres.size() >= static_cast<std::size_t>(INT32_MAX))
    throw std::length_error("FibreMigrator moves at most 2^31 - 2 fibres");
  if (o.draw_centres)
    for (int a = 0; a < 3; ++a)
      if (!(std::isfinite(o.lo[static_cast<std::size_t>(a)]) && std::isfinite(o.hi[static_cast<std::size_t>(a)]) &&
            o.lo[static_cast<std::size_t>(a)] < o.hi[static_cast<std::size_t>(a)]))
        throw std::invalid_argument("`lo` and `hi` must bound a box of finite, positive extent");
  if (!std::isfinite(o.tensor_weight) || o.tensor_weight < 0.0 || o.tensor_weight > 1.0)
    throw std::invalid_argument("`tensor_weight` must be in [0, 1], got tensor_weight=" + std::to_string(o.tensor_weight));
  if (!std::isfinite(o.rotation_mobility) || o.rotation_mobility < 0.0 || o.rotation_mobility > 1.0)
    throw std::invalid_argument("`rotation_mobility` must be in [0, 1], got rotation_mobility=" +
                                std::to_string(o.rotation_mobility));
  const double nn = detail::dot3(o.plane_normal.data(), o.plane_normal.data());
  if (nn != 0.0 && std::fabs(nn - 1.0) > 1e-6)
    throw std::invalid_argument("`plane_normal` must be a unit vector or all zero, got |n|^2=" + std::to_string(nn));
  if (mask.data && mask.shape != grid.shape)
    throw std::invalid_argument("`mask` must have the grid shape");

  Impl& m = *impl_;
  m.shape = shape;
  m.grid = grid;
  m.g = detail::make_grid(grid);
  m.mask = mask;
  m.opt = o;
  const std::int64_t ns[3] = {grid.shape.nx, grid.shape.ny, grid.shape.nz};
  for (int a = 0; a < 3; ++a) m.period[a] = double(ns[a]) * grid.voxel_size;
  m.hold_tensor = std::any_of(o.target_tensor.begin(), o.target_tensor.end(), [](double x) { return x != 0.0; });
  m.planar = nn != 0.0;
  m.fibres = fibres;
  const std::size_t count = fibres.size();
  if (m.planar)  // a direction given out of the plane starts from its projection
    for (std::size_t i = static_cast<std::size_t>(o.fixed); i < count; ++i) {
      double* u = m.fibres[i].direction.data();
      const double off = detail::dot3(u, o.plane_normal.data());
      for (int a = 0; a < 3; ++a) u[a] -= off * o.plane_normal[static_cast<std::size_t>(a)];
      if (detail::dot3(u, u) < 1e-12) throw std::invalid_argument("`fibres` has a direction along `plane_normal`");
      normalize(u);
    }
  m.caps.resize(count);
  m.weight.assign(count, 0.0);
  double total = 0.0;
  for (std::size_t i = static_cast<std::size_t>(o.fixed); i < count; ++i) {
    const double r = 0.5 * fibres[i].diameter;
    m.weight[i] = shape == FibreShape::Spherocylinder
                      ? M_PI * r * r * (fibres[i].length - fibres[i].diameter) + 4.0 / 3.0 * M_PI * r * r * r
                      : M_PI * r * r * fibres[i].length;
    total += m.weight[i];
  }
  for (double& w : m.weight) w = total > 0.0 ? w / total : 0.0;
  const std::array<double, 3> zero{0.0, 0.0, 0.0};
  m.vc.assign(count, zero);
  m.vu.assign(count, zero);
  m.fc.assign(count, zero);
  m.fu.assign(count, zero);
  m.pairs_of.assign(count, 0);
  m.worst_of.assign(count, 0.0);
  m.forbidden.assign(count, 0);
  // Cells of a third of the mean length, as for RSA: a fibre touches a handful of cells.
  double mean_length = 0.0, mean_diameter = 0.0;
  for (const Fibre& f : fibres) {
    mean_length += f.length;
    mean_diameter += f.diameter;
  }
  if (count) {
    mean_length /= double(count);
    mean_diameter /= double(count);
  }
  m.cell_size = std::max({grid.voxel_size, mean_length / 3.0, mean_diameter});
  m.hash.build(m.period, grid.periodic, m.cell_size);
  m.queries.resize(1);
  if (o.draw_centres) {
    m.draw_centres();
    int axis = -1;  // deposition for planar fibres whose plane is normal to a grid axis
    for (int a = 0; a < 3; ++a)
      if (std::fabs(o.plane_normal[static_cast<std::size_t>(a)]) == 1.0) axis = a;
    m.plane_axis = axis;
    if (axis >= 0) {
      std::vector<char> place(count, 0);
      for (std::size_t i = static_cast<std::size_t>(std::max(o.fixed, o.draw_from)); i < count; ++i) place[i] = 1;
      m.deposit(axis, place, 0);
    }
  }
  m.status = count ? m.survey(get_num_threads()) : MigrationStatus{0, 0, 0.0, 0, true, 1.0};
}

FibreMigrator::~FibreMigrator() = default;

MigrationStatus FibreMigrator::run(std::int64_t iterations) {
  if (iterations < 0)
    throw std::invalid_argument("`iterations` must be >= 0, got iterations=" + std::to_string(iterations));
  Impl& m = *impl_;
  const int threads = get_num_threads();
  const std::int64_t start = m.status.iterations;
  MigrationStatus s = m.survey(threads);  // at the current scale
  std::int64_t k = 0;
  for (; k < iterations; ++k) {
    if (s.resolved) {
      if (m.scale == 1.0) break;
      m.scale = std::min(1.0, m.scale * kGrow);  // room made: grow back towards full size
      m.best_pairs = kNone;
      m.since_best = 0;
      s = m.survey(threads);
      if (s.resolved) continue;
    }
    m.step(threads);
    s = m.survey(threads);
    if (s.overlapping_pairs < m.best_pairs) {
      m.best_pairs = s.overlapping_pairs;
      m.since_best = 0;
    } else if (++m.since_best >= kStall) {
      // Stuck: a fibre trapped between others (pushes that cancel), or fibres crossing at right
      // angles (they push only along their common normal and cannot slide past each other).
      // Every fibre still overlapping is added again at a new random centre (the "addition" of
      // sequential addition and migration); when that is impossible (no box), all shrink a little
      // and grow back once resolved.
      if (m.opt.draw_centres) {
        m.relocate_overlapping();
      } else {
        m.scale *= kShrink;
      }
      m.best_pairs = kNone;
      m.since_best = 0;
      s = m.survey(threads);
    }
  }
  if (m.scale != 1.0) {  // report the fibres at full size
    const double scale = m.scale;
    m.scale = 1.0;
    s = m.survey(threads);
    if (!s.resolved) m.scale = scale;  // carry on from there in the next run
  }
  m.status = s;
  m.status.iterations = start + k;
  m.status.scale = m.scale;
  return m.status;
}

const std::vector<Fibre>& FibreMigrator::fibres() const { return impl_->fibres; }
MigrationStatus FibreMigrator::status() const { return impl_->status; }
std::vector<std::uint8_t> FibreMigrator::mask_violators() const { return impl_->forbidden; }

}  // namespace voxtwin
