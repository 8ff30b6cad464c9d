#include "voxtwin/composite_table.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>
#include <string>
#include <tuple>

#include "voxtwin/parallel.hpp"

namespace voxtwin {

namespace {

// Resolutions tried after the requested one when a table overflows, finest first.
constexpr int kCoarser[] = {12, 10, 8, 6, 5, 4, 3, 2, 1};

auto key(const CompositeEntry& e) {
  return std::make_tuple(e.label[0], e.label[1], e.label[2], e.label[3], e.count[0], e.count[1], e.count[2],
                         e.count[3], e.normal[0], e.normal[1], e.normal[2]);
}

bool is_mixed(const CompositeCell& c) { return c.count[1] != 0; }

std::string voxel(const Shape3& s, std::int64_t i) {
  const std::int64_t z = i % s.nz, y = (i / s.nz) % s.ny, x = i / (s.nz * s.ny);
  return "(" + std::to_string(x) + ", " + std::to_string(y) + ", " + std::to_string(z) + ")";
}

CompositeEntry entry_of(const CompositeCell& c, int resolution) {
  CompositeEntry e;
  for (int s = 0; s < kCompositeSlots; ++s) {
    e.label[s] = c.label[s];
    e.count[s] = c.count[s];
  }
  const auto q = quantize_normal(c.normal, resolution);
  for (int a = 0; a < 3; ++a) e.normal[a] = q[a];
  return e;
}

}  // namespace

bool CompositeEntry::operator<(const CompositeEntry& o) const { return key(*this) < key(o); }
bool CompositeEntry::operator==(const CompositeEntry& o) const { return key(*this) == key(o); }

std::array<std::int8_t, 3> quantize_normal(const float g[3], int resolution) {
  if (resolution < 1 || resolution > kMaxNormalResolution)
    throw std::invalid_argument("`resolution` must be in [1, " + std::to_string(kMaxNormalResolution) +
                                "], got resolution=" + std::to_string(resolution));
  const double m = std::max({std::abs(double(g[0])), std::abs(double(g[1])), std::abs(double(g[2]))});
  if (!(m > 0.0) || !std::isfinite(m))
    throw std::invalid_argument("a normal must be finite and non-zero, got (" + std::to_string(g[0]) + ", " +
                                std::to_string(g[1]) + ", " + std::to_string(g[2]) + ")");
  std::array<std::int8_t, 3> q;
  // Projection onto the cube surface; llround is odd-symmetric, so -g maps to -q.
  for (int a = 0; a < 3; ++a) q[a] = static_cast<std::int8_t>(std::llround(double(g[a]) / m * resolution));
  for (int a = 0; a < 3; ++a) {
    if (q[a] == 0) continue;
    if (q[a] < 0)
      for (auto& v : q) v = static_cast<std::int8_t>(-v);
    break;
  }
  return q;
}

CompositeTable composite_table(const CompositeCell* cells, const Shape3& coarse, const std::array<int, 256>& row_of_label,
                               int n_rows, int resolution, int max_entries, std::uint16_t* index) {
  require_valid_shape(coarse, "coarse");
  if (max_entries < 1 || max_entries > 65536)
    throw std::invalid_argument("`max_entries` must be in [1, 65536], got max_entries=" + std::to_string(max_entries));
  if (n_rows < 0 || n_rows >= max_entries)
    throw std::invalid_argument("`n_rows` must be in [0, max_entries), got n_rows=" + std::to_string(n_rows));
  for (int l = 0; l < 256; ++l)
    if (row_of_label[l] >= n_rows)
      throw std::invalid_argument("`row_of_label[" + std::to_string(l) + "]` must be < n_rows=" +
                                  std::to_string(n_rows) + ", got " + std::to_string(row_of_label[l]));
  quantize_normal(std::array<float, 3>{1.0f, 0.0f, 0.0f}.data(), resolution);  // validates `resolution`

  const std::int64_t n = coarse.size();
  std::vector<std::int64_t> mixed;
  for (std::int64_t i = 0; i < n; ++i) {
    const CompositeCell& c = cells[i];
    if (c.count[0] == 0)
      throw std::invalid_argument("coarse voxel " + voxel(coarse, i) + " holds more than " +
                                  std::to_string(kCompositeSlots) + " different labels; composite voxels take at most " +
                                  std::to_string(kCompositeSlots));
    for (int s = 0; s < kCompositeSlots && c.count[s] != 0; ++s)
      if (row_of_label[c.label[s]] < 0)
        throw std::invalid_argument("label " + std::to_string(c.label[s]) + " (in coarse voxel " + voxel(coarse, i) +
                                    ") has no material");
    if (is_mixed(c)) mixed.push_back(i);
  }

  std::vector<int> tries{resolution};
  for (int r : kCoarser)
    if (r < resolution) tries.push_back(r);
  const std::size_t room = static_cast<std::size_t>(max_entries - n_rows);
  std::vector<CompositeEntry> keys(mixed.size());
  CompositeTable table;
  for (int r : tries) {
#pragma omp parallel for schedule(static) num_threads(get_num_threads())
    for (std::int64_t m = 0; m < static_cast<std::int64_t>(mixed.size()); ++m) keys[m] = entry_of(cells[mixed[m]], r);
    std::vector<CompositeEntry> unique = keys;
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    if (unique.size() <= room) {
      table.entries = std::move(unique);
      table.resolution = r;
      break;
    }
  }
  if (table.resolution == 0)
    throw std::invalid_argument("composite voxels need more than " + std::to_string(max_entries) +
                                " table entries even with the coarsest normal set (13 directions): too many distinct "
                                "label/fraction combinations; use a smaller `factor` or fewer labels");

#pragma omp parallel for schedule(static) num_threads(get_num_threads())
  for (std::int64_t i = 0; i < n; ++i)
    if (!is_mixed(cells[i])) index[i] = static_cast<std::uint16_t>(row_of_label[cells[i].label[0]]);
#pragma omp parallel for schedule(static) num_threads(get_num_threads())
  for (std::int64_t m = 0; m < static_cast<std::int64_t>(mixed.size()); ++m) {
    const auto it = std::lower_bound(table.entries.begin(), table.entries.end(), keys[m]);
    index[mixed[m]] = static_cast<std::uint16_t>(n_rows + (it - table.entries.begin()));
  }
  return table;
}

std::vector<ThermoElastic> composite_laminates(const std::vector<CompositeEntry>& entries, int factor,
                                               const std::vector<ThermoElastic>& phases) {
  if (phases.size() != 256)
    throw std::invalid_argument("`phases` must hold one law per uint8 label (256), got " + std::to_string(phases.size()));
  if (factor < 1 || factor > kMaxCompositeFactor)
    throw std::invalid_argument("`factor` must be an int in [1, " + std::to_string(kMaxCompositeFactor) +
                                "], got factor=" + std::to_string(factor));
  const double cells = double(factor) * factor * factor;
  std::vector<ThermoElastic> out(entries.size());
  const std::int64_t n = static_cast<std::int64_t>(entries.size());
  std::exception_ptr error;  // an exception must not leave an OpenMP region
#pragma omp parallel for schedule(dynamic, 64) num_threads(get_num_threads())
  for (std::int64_t i = 0; i < n; ++i) {
    try {
      const CompositeEntry& e = entries[i];
      std::vector<Lamina> layers;
      for (int s = 0; s < kCompositeSlots && e.count[s] != 0; ++s)
        layers.push_back({phases[e.label[s]].C, phases[e.label[s]].alpha, e.count[s] / cells});
      out[i] = laminate(layers, Eigen::Vector3d(e.normal[0], e.normal[1], e.normal[2]));
    } catch (...) {
#pragma omp critical(voxtwin_composite_laminates)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return out;
}

}  // namespace voxtwin
