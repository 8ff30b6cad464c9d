#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "voxtwin/parallel.hpp"
#include "voxtwin/paste.hpp"

using namespace voxtwin;

namespace {

std::vector<std::uint8_t> random_block(const Shape3& s, unsigned seed) {
  std::vector<std::uint8_t> v(static_cast<std::size_t>(s.size()));
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0, 250);
  for (auto& x : v) x = static_cast<std::uint8_t>(dist(gen));
  return v;
}

// Forward mapping, independent of the kernel's inverse indexing: each block voxel i goes to
// offset + M (i - c) + c', with M the signed permutation matrix (row a holds +-1 at column axis[a])
// and c, c' the centres of the block and of the turned block.
std::vector<std::uint8_t> reference(const std::vector<std::uint8_t>& block, const Shape3& bs, std::vector<std::uint8_t> out,
                                    const Shape3& os, const std::array<std::int64_t, 3>& offset, const AxisTransform& t) {
  const std::array<std::int64_t, 3> be{bs.nx, bs.ny, bs.nz};
  std::array<std::int64_t, 3> te{};
  for (int a = 0; a < 3; ++a) te[a] = be[t.axis[a]];
  const std::array<std::int64_t, 3> oe{os.nx, os.ny, os.nz};
  for (std::int64_t x = 0; x < bs.nx; ++x)
    for (std::int64_t y = 0; y < bs.ny; ++y)
      for (std::int64_t z = 0; z < bs.nz; ++z) {
        const std::array<double, 3> i{double(x), double(y), double(z)};
        std::array<std::int64_t, 3> d{};
        bool inside = true;
        for (int a = 0; a < 3; ++a) {
          const double sign = t.flip[a] ? -1.0 : 1.0;
          const double p = sign * (i[t.axis[a]] - (be[t.axis[a]] - 1) / 2.0) + (te[a] - 1) / 2.0;
          d[a] = offset[a] + static_cast<std::int64_t>(std::llround(p));
          inside = inside && d[a] >= 0 && d[a] < oe[a];
        }
        if (inside) out[static_cast<std::size_t>(os.index(d[0], d[1], d[2]))] = block[static_cast<std::size_t>(bs.index(x, y, z))];
      }
  return out;
}

}  // namespace

TEST(Paste, AllFortyEightTransformsMatchForwardMappingWithClipping) {
  const Shape3 bs{5, 4, 3};
  const auto block = random_block(bs, 3);
  const Shape3 os{7, 6, 8};
  const std::vector<std::array<std::int64_t, 3>> offsets{{0, 0, 0}, {-2, 1, 3}, {4, -3, -1}, {6, 5, 7}};
  const std::array<std::array<int, 3>, 6> perms{{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}};
  const int before = get_num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (const auto& perm : perms)
      for (int bits = 0; bits < 8; ++bits)
        for (const auto& off : offsets) {
          const AxisTransform t{perm, {bool(bits & 1), bool(bits & 2), bool(bits & 4)}};
          std::vector<std::uint8_t> out(static_cast<std::size_t>(os.size()), 255);
          const auto expected = reference(block, bs, out, os, off, t);
          const std::int64_t written = paste({block.data(), bs}, {out.data(), os}, off, t);
          ASSERT_EQ(out, expected) << "perm " << perm[0] << perm[1] << perm[2] << " flips " << bits;
          std::int64_t changed_region = 1;
          const Shape3 ts = t.turned(bs);
          const std::array<std::int64_t, 3> te{ts.nx, ts.ny, ts.nz}, oe{os.nx, os.ny, os.nz};
          for (int a = 0; a < 3; ++a)
            changed_region *= std::max<std::int64_t>(0, std::min(oe[a], off[a] + te[a]) - std::max<std::int64_t>(0, off[a]));
          EXPECT_EQ(written, changed_region);
        }
  }
  set_num_threads(before);
}

TEST(Paste, QuarterTurnAboutZSendsXToY) {
  // Voxel (1, 0, 0) of a 3x3x1 block lies on +X of the centre; a quarter turn about Z puts it on +Y.
  const Shape3 bs{3, 3, 1};
  std::vector<std::uint8_t> block(9, 0);
  block[static_cast<std::size_t>(bs.index(2, 1, 0))] = 7;
  std::vector<std::uint8_t> out(9, 0);
  paste({block.data(), bs}, {out.data(), bs}, {0, 0, 0}, AxisTransform{{1, 0, 2}, {true, false, false}});
  EXPECT_EQ(out[static_cast<std::size_t>(bs.index(1, 2, 0))], 7);
}

TEST(Paste, NoOverlapWritesNothingAndBadPermutationThrows) {
  const Shape3 s{2, 2, 2};
  std::vector<std::uint8_t> block(8, 1), out(8, 0);
  EXPECT_EQ(paste({block.data(), s}, {out.data(), s}, {2, 0, 0}), 0);
  EXPECT_EQ(out, std::vector<std::uint8_t>(8, 0));
  EXPECT_THROW(paste({block.data(), s}, {out.data(), s}, {0, 0, 0}, AxisTransform{{0, 0, 2}, {}}), std::invalid_argument);
}
