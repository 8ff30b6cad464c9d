// Virtual growth with an entropy heap and admissible-block bitsets (see voxtwin/growth.hpp).
#include "voxtwin/growth.hpp"

#include <algorithm>
#include <cmath>
#include <queue>
#include <stdexcept>
#include <string>

#include "voxtwin/detail/random.hpp"

namespace voxtwin {

namespace {

constexpr std::int32_t kEmpty = -1;
constexpr std::int32_t kVoid = -2;
constexpr int kMaxBlocks = 4096;
// Floor of a corrected probability that fell to or below zero (the released code's Laplace
// smoothing): such a block is still drawn when nothing else fits, rarely otherwise.
constexpr double kFloor = 1e-6;
// A block whose target fraction is exactly zero is only used where nothing else fits.
constexpr double kZeroTargetFloor = 1e-12;
// Placements after a repair within which a new contradiction counts as the same trouble spot
// and widens the cleared neighbourhood.
constexpr std::int64_t kStreakWindow = 64;

struct HeapEntry {
  double entropy;
  std::uint64_t tie;
  std::int64_t cell;
  std::uint32_t stamp;
  bool operator>(const HeapEntry& o) const {
    if (entropy != o.entropy) return entropy > o.entropy;
    if (tie != o.tie) return tie > o.tie;
    return cell > o.cell;
  }
};

class Grower {
 public:
  Grower(const GrowthRules& rules, const std::array<std::int64_t, 3>& shape, const std::vector<std::int32_t>& region,
         const std::vector<double>& frequency, int n_regions, const GrowthOptions& opt)
      : rules_(rules), shape_(shape), region_(region), freq_(frequency), n_regions_(n_regions), opt_(opt) {
    nb_ = rules.n_blocks;
    ng_ = rules.n_groups;
    words_ = (nb_ + 63) / 64;
    n_ = shape[0] * shape[1] * shape[2];
    allow_.assign(static_cast<std::size_t>(kGrowthFaces) * nb_ * words_, 0);
    for (int f = 0; f < kGrowthFaces; ++f)
      for (int a = 0; a < nb_; ++a)
        for (int b = 0; b < nb_; ++b)
          if (rules.allowed[(static_cast<std::size_t>(f) * nb_ + a) * nb_ + b])
            allow_[(static_cast<std::size_t>(f) * nb_ + a) * words_ + b / 64] |= 1ull << (b % 64);
    full_.assign(words_, ~0ull);
    if (nb_ % 64) full_[words_ - 1] = (1ull << (nb_ % 64)) - 1;
    group_size_.assign(ng_, 0);
    gmask_.assign(static_cast<std::size_t>(ng_) * words_, 0);
    for (int b = 0; b < nb_; ++b) {
      ++group_size_[rules.group[b]];
      gmask_[static_cast<std::size_t>(rules.group[b]) * words_ + b / 64] |= 1ull << (b % 64);
    }
    region_size_.assign(n_regions_, 0);
    for (std::int64_t c = 0; c < n_; ++c)
      if (region_[c] >= 0) ++region_size_[region_[c]];
    max_repairs_ = opt.max_repairs >= 0 ? opt.max_repairs : n_ / 8 + 64;
  }

  GrowthResult run() {
    GrowthResult out;
    for (int attempt = 0; attempt <= opt_.max_restarts; ++attempt) {
      key_ = detail::splitmix64(opt_.seed, static_cast<std::uint64_t>(attempt));
      counter_ = 0;
      const bool ok = attempt_growth(out.repairs);
      if (ok) {
        out.complete = true;
        break;
      }
      if (attempt < opt_.max_restarts) ++out.restarts;
    }
    out.blocks.resize(n_);
    for (std::int64_t c = 0; c < n_; ++c) out.blocks[c] = state_[c] == kVoid ? -1 : state_[c];
    return out;
  }

 private:
  std::uint64_t draw() { return detail::splitmix64(key_, counter_++); }
  double uniform() { return static_cast<double>(draw() >> 11) * (1.0 / 9007199254740992.0); }

  std::uint64_t* dom(std::int64_t c) { return &domain_[static_cast<std::size_t>(c) * words_]; }
  const std::uint64_t* allow(int f, int b) const { return &allow_[(static_cast<std::size_t>(f) * nb_ + b) * words_]; }

  /// Neighbour of cell c across face f, or -1 outside the grid (open boundary) or void.
  std::int64_t neighbour(std::int64_t c, int f) const {
    const std::int64_t ny = shape_[1], nz = shape_[2];
    std::int64_t p[3] = {c / (ny * nz), (c / nz) % ny, c % nz};
    const int axis = f / 2;
    p[axis] += (f % 2 == 0) ? 1 : -1;
    if (p[axis] < 0 || p[axis] >= shape_[axis]) {
      if (!opt_.periodic) return -1;
      p[axis] = (p[axis] + shape_[axis]) % shape_[axis];
    }
    const std::int64_t q = (p[0] * ny + p[1]) * nz + p[2];
    return state_[q] == kVoid ? -1 : q;
  }

  /// Corrected probability of each group in a region: p = (p0 n - x0) / (n - x), floored.
  void group_weights(int r, std::vector<double>& w) const {
    const double n = static_cast<double>(region_size_[r]);
    const double x = static_cast<double>(filled_[r]);
    for (int g = 0; g < ng_; ++g) {
      const double p0 = freq_[static_cast<std::size_t>(r) * ng_ + g];
      double p = (p0 * n - static_cast<double>(counts_[static_cast<std::size_t>(r) * ng_ + g])) / std::max(n - x, 1.0);
      if (p0 <= 0.0) p = kZeroTargetFloor;
      else if (p <= kFloor) p = kFloor;
      w[g] = p / group_size_[g];
    }
  }

  /// Probability mass of the blocks in d (& mask, when given) under the weights gw_.
  double mass(const std::uint64_t* d, const std::uint64_t* mask, const double* weights) const {
    double m = 0.0;
    for (int g = 0; g < ng_; ++g) {
      const std::uint64_t* gm = &gmask_[static_cast<std::size_t>(g) * words_];
      std::int64_t count = 0;
      for (int w = 0; w < words_; ++w) count += __builtin_popcountll(d[w] & gm[w] & (mask ? mask[w] : ~0ull));
      m += static_cast<double>(count) * weights[g];
    }
    return m;
  }

  /// Shannon entropy of the cell's admissible blocks under its region's corrected weights.
  double entropy(std::int64_t c) {
    group_weights(region_[c], gw_);
    double s = 0.0, slogs = 0.0;
    const std::uint64_t* d = dom(c);
    for (int g = 0; g < ng_; ++g) {
      const std::uint64_t* gm = &gmask_[static_cast<std::size_t>(g) * words_];
      std::int64_t count = 0;
      for (int w = 0; w < words_; ++w) count += __builtin_popcountll(d[w] & gm[w]);
      const double p = gw_[g];
      s += static_cast<double>(count) * p;
      slogs += static_cast<double>(count) * p * std::log(p);
    }
    return s > 0.0 ? std::log(s) - slogs / s : -1.0;  // an empty domain comes first: it is a contradiction
  }

  void push(std::int64_t c) {
    ++stamp_[c];
    heap_.push(HeapEntry{entropy(c), draw(), c, stamp_[c]});
  }

  std::int64_t next_cell() {
    while (!heap_.empty()) {
      const HeapEntry e = heap_.top();
      heap_.pop();
      if (state_[e.cell] == kEmpty && e.stamp == stamp_[e.cell]) return e.cell;
    }
    // No frontier: start a new nucleus at the next empty cell of a scan begun at a random place.
    for (std::int64_t k = 0; k < n_; ++k) {
      const std::int64_t c = (scan_ + k) % n_;
      if (state_[c] == kEmpty) {
        scan_ = c;
        return c;
      }
    }
    return -1;
  }

  void place(std::int64_t c, int b) {
    state_[c] = b;
    ++counts_[static_cast<std::size_t>(region_[c]) * ng_ + rules_.group[b]];
    ++filled_[region_[c]];
    --remaining_;
    for (int f = 0; f < kGrowthFaces; ++f) {
      const std::int64_t q = neighbour(c, f);
      if (q < 0 || state_[q] != kEmpty) continue;
      std::uint64_t* d = dom(q);
      const std::uint64_t* a = allow(f, b);
      for (int w = 0; w < words_; ++w) d[w] &= a[w];
      push(q);
    }
  }

  /// Picks a block for c among those that leave every empty neighbour a choice; -1 if none.
  /// A candidate's weight is its group's corrected probability times, per empty neighbour, the
  /// share of that neighbour's weighted choices it keeps: a one-step look-ahead that steers away
  /// from placements forcing neighbours into blocks already over their target count.
  int choose(std::int64_t c) {
    std::int64_t nbr[kGrowthFaces];
    for (int f = 0; f < kGrowthFaces; ++f) {
      const std::int64_t q = neighbour(c, f);
      nbr[f] = (q >= 0 && state_[q] == kEmpty) ? q : -1;
    }
    double before[kGrowthFaces] = {};
    nbw_.resize(static_cast<std::size_t>(kGrowthFaces) * ng_);
    for (int f = 0; f < kGrowthFaces; ++f)
      if (nbr[f] >= 0) {
        group_weights(region_[nbr[f]], gw_);
        std::copy(gw_.begin(), gw_.end(), nbw_.begin() + static_cast<std::ptrdiff_t>(f) * ng_);
        before[f] = mass(dom(nbr[f]), nullptr, &nbw_[static_cast<std::size_t>(f) * ng_]);
      }
    cand_.clear();
    cum_.clear();
    double total = 0.0;
    const std::uint64_t* d = dom(c);
    std::vector<double>& own = gw_own_;
    group_weights(region_[c], own);
    for (int w = 0; w < words_; ++w)
      for (std::uint64_t bits = d[w]; bits; bits &= bits - 1) {
        const int b = w * 64 + __builtin_ctzll(bits);
        double weight = own[rules_.group[b]];
        for (int f = 0; f < kGrowthFaces && weight > 0.0; ++f) {
          if (nbr[f] < 0) continue;
          const double kept = mass(dom(nbr[f]), allow(f, b), &nbw_[static_cast<std::size_t>(f) * ng_]);
          weight = kept > 0.0 ? weight * (kept / before[f]) : 0.0;
        }
        if (weight <= 0.0) continue;
        total += weight;
        cand_.push_back(b);
        cum_.push_back(total);
      }
    if (cand_.empty()) return -1;
    const double u = uniform() * total;
    const auto it = std::upper_bound(cum_.begin(), cum_.end(), u);
    return cand_[std::min<std::size_t>(it - cum_.begin(), cand_.size() - 1)];
  }

  void recompute_domain(std::int64_t c) {
    std::uint64_t* d = dom(c);
    std::copy(full_.begin(), full_.end(), d);
    for (int f = 0; f < kGrowthFaces; ++f) {
      const std::int64_t q = neighbour(c, f);
      if (q < 0 || state_[q] < 0) continue;
      const std::uint64_t* a = allow(f ^ 1, state_[q]);
      for (int w = 0; w < words_; ++w) d[w] &= a[w];
    }
  }

  /// Clears the filled cells within Chebyshev distance `radius` of c and refreshes the domains
  /// around them, so growth resumes there from the surviving neighbours.
  void repair(std::int64_t c, int radius) {
    const std::int64_t ny = shape_[1], nz = shape_[2];
    const std::int64_t p[3] = {c / (ny * nz), (c / nz) % ny, c % nz};
    std::vector<std::int64_t> touched;
    for (int pass = 0; pass < 2; ++pass) {
      const int r = radius + pass;  // pass 0 clears, pass 1 also refreshes the shell around it
      std::int64_t lo[3], hi[3];
      for (int a = 0; a < 3; ++a) {
        if (opt_.periodic && 2 * r + 1 >= shape_[a]) {
          lo[a] = 0;
          hi[a] = shape_[a] - 1;
        } else if (opt_.periodic) {
          lo[a] = p[a] - r;
          hi[a] = p[a] + r;
        } else {
          lo[a] = std::max<std::int64_t>(0, p[a] - r);
          hi[a] = std::min<std::int64_t>(shape_[a] - 1, p[a] + r);
        }
      }
      for (std::int64_t x = lo[0]; x <= hi[0]; ++x)
        for (std::int64_t y = lo[1]; y <= hi[1]; ++y)
          for (std::int64_t z = lo[2]; z <= hi[2]; ++z) {
            const std::int64_t q = ((((x % shape_[0]) + shape_[0]) % shape_[0]) * ny + (((y % ny) + ny) % ny)) * nz +
                                   (((z % nz) + nz) % nz);
            if (state_[q] == kVoid) continue;
            if (pass == 0) {
              if (state_[q] >= 0) {
                --counts_[static_cast<std::size_t>(region_[q]) * ng_ + rules_.group[state_[q]]];
                --filled_[region_[q]];
                ++remaining_;
                state_[q] = kEmpty;
              }
            } else if (state_[q] == kEmpty) {
              touched.push_back(q);
            }
          }
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (const std::int64_t q : touched) {
      recompute_domain(q);
      bool frontier = false;
      for (int f = 0; f < kGrowthFaces && !frontier; ++f) {
        const std::int64_t s = neighbour(q, f);
        frontier = s >= 0 && state_[s] >= 0;
      }
      if (frontier) push(q);
    }
  }

  bool attempt_growth(std::int64_t& repairs_total) {
    state_.assign(n_, kEmpty);
    for (std::int64_t c = 0; c < n_; ++c)
      if (region_[c] < 0) state_[c] = kVoid;
    domain_.assign(static_cast<std::size_t>(n_) * words_, 0);
    for (std::int64_t c = 0; c < n_; ++c) std::copy(full_.begin(), full_.end(), dom(c));
    stamp_.assign(n_, 0);
    counts_.assign(static_cast<std::size_t>(n_regions_) * ng_, 0);
    filled_.assign(n_regions_, 0);
    gw_.assign(ng_, 0.0);
    gw_own_.assign(ng_, 0.0);
    heap_ = decltype(heap_)();
    remaining_ = 0;
    for (std::int64_t c = 0; c < n_; ++c) remaining_ += state_[c] == kEmpty;
    scan_ = n_ ? static_cast<std::int64_t>(draw() % static_cast<std::uint64_t>(n_)) : 0;
    std::int64_t repairs = 0, streak = 0, placed_since = kStreakWindow;
    while (remaining_ > 0) {
      const std::int64_t c = next_cell();
      if (c < 0) break;
      const int b = choose(c);
      if (b >= 0) {
        place(c, b);
        ++placed_since;
        continue;
      }
      if (++repairs > max_repairs_) {
        repairs_total += repairs - 1;
        return false;
      }
      streak = placed_since < kStreakWindow ? streak + 1 : 0;
      placed_since = 0;
      const std::int64_t largest = std::max({shape_[0], shape_[1], shape_[2]});
      repair(c, static_cast<int>(std::min<std::int64_t>(1 + streak, largest)));
    }
    repairs_total += repairs;
    return remaining_ == 0;
  }

  const GrowthRules& rules_;
  std::array<std::int64_t, 3> shape_;
  const std::vector<std::int32_t>& region_;
  const std::vector<double>& freq_;
  int n_regions_;
  GrowthOptions opt_;
  int nb_ = 0, ng_ = 0, words_ = 1;
  std::int64_t n_ = 0, remaining_ = 0, scan_ = 0, max_repairs_ = 0;
  std::uint64_t key_ = 0, counter_ = 0;
  std::vector<std::uint64_t> allow_, full_, domain_, gmask_;
  std::vector<int> group_size_;
  std::vector<std::int64_t> region_size_, counts_, filled_;
  std::vector<std::int32_t> state_;
  std::vector<std::uint32_t> stamp_;
  std::vector<double> gw_, gw_own_, nbw_, cum_;
  std::vector<int> cand_;
  std::priority_queue<HeapEntry, std::vector<HeapEntry>, std::greater<HeapEntry>> heap_;
};

}  // namespace

void GrowthRules::validate() const {
  if (n_blocks < 1 || n_blocks > kMaxBlocks)
    throw std::invalid_argument("`n_blocks` must be in 1.." + std::to_string(kMaxBlocks) + ", got n_blocks=" +
                                std::to_string(n_blocks));
  const std::size_t nb = static_cast<std::size_t>(n_blocks);
  if (allowed.size() != kGrowthFaces * nb * nb)
    throw std::invalid_argument("`allowed` must hold 6 x n_blocks x n_blocks entries, got " +
                                std::to_string(allowed.size()));
  if (group.size() != nb) throw std::invalid_argument("`group` must hold one entry per block");
  for (std::size_t b = 0; b < nb; ++b)
    if (group[b] < 0 || group[b] >= n_groups)
      throw std::invalid_argument("`group` entries must be in 0..n_groups-1, got group[" + std::to_string(b) +
                                  "]=" + std::to_string(group[b]));
  for (int f = 0; f < kGrowthFaces; ++f)
    for (std::size_t a = 0; a < nb; ++a)
      for (std::size_t b = 0; b < nb; ++b)
        if ((allowed[(f * nb + a) * nb + b] != 0) != (allowed[((f ^ 1) * nb + b) * nb + a] != 0))
          throw std::invalid_argument("`allowed` must be symmetric: block " + std::to_string(b) + " across face " +
                                      std::to_string(f) + " of block " + std::to_string(a) +
                                      " disagrees with the opposite face");
}

GrowthResult grow(const GrowthRules& rules, const std::array<std::int64_t, 3>& shape,
                  const std::vector<std::int32_t>& region, const std::vector<double>& frequency, int n_regions,
                  const GrowthOptions& options) {
  rules.validate();
  for (int a = 0; a < 3; ++a)
    if (shape[a] < 1)
      throw std::invalid_argument("`grid` must be three positive cell counts, got grid[" + std::to_string(a) +
                                  "]=" + std::to_string(shape[a]));
  const std::int64_t n = shape[0] * shape[1] * shape[2];
  if (static_cast<std::int64_t>(region.size()) != n)
    throw std::invalid_argument("`region` must hold one entry per cell (" + std::to_string(n) + "), got " +
                                std::to_string(region.size()));
  if (n_regions < 1) throw std::invalid_argument("`n_regions` must be >= 1, got " + std::to_string(n_regions));
  if (frequency.size() != static_cast<std::size_t>(n_regions) * rules.n_groups)
    throw std::invalid_argument("`frequency` must hold n_regions x n_groups entries, got " +
                                std::to_string(frequency.size()));
  for (const std::int32_t r : region)
    if (r < -1 || r >= n_regions)
      throw std::invalid_argument("`region` entries must be -1 (void) or 0..n_regions-1, got " + std::to_string(r));
  for (const double p : frequency)
    if (!(p >= 0.0 && p <= 1.0))
      throw std::invalid_argument("`frequency` entries must be in [0, 1], got " + std::to_string(p));
  if (options.max_restarts < 0)
    throw std::invalid_argument("`max_restarts` must be >= 0, got " + std::to_string(options.max_restarts));
  Grower g(rules, shape, region, frequency, n_regions, options);
  return g.run();
}

}  // namespace voxtwin
