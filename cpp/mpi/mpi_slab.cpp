// Slab decomposition, memory check, ordered reductions and collective errors of the distributed solver.
#include "mpi_slab.hpp"

#include <fftw3-mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/errors.hpp"

namespace voxtwin::mpi {

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int world_size() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

struct LocalSize {
  ptrdiff_t alloc = 0, n0 = 0, x0 = 0, n1 = 0, y0 = 0;
};

// FFTW-MPI's distribution of an R2C transform (last dimension nz/2 + 1 complex), transposed output.
LocalSize local_size(const Shape3& s) {
  LocalSize l;
  l.alloc = fftw_mpi_local_size_3d_transposed(s.nx, s.ny, s.nz / 2 + 1, MPI_COMM_WORLD, &l.n0, &l.x0, &l.n1, &l.y0);
  return l;
}

}  // namespace

void initialize() {
  int up = 0, down = 0;
  MPI_Finalized(&down);
  if (down) throw std::runtime_error("MPI has been finalized in this process: the distributed solver cannot run");
  MPI_Initialized(&up);
  if (!up) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  }
  static std::once_flag once;
  std::call_once(once, [] {
    fftw_mpi_init();
    fftwf_mpi_init();
  });
}

Slab decompose(const Shape3& shape) {
  initialize();
  require_valid_shape(shape, "labels");
  const LocalSize l = local_size(shape);
  Slab s;
  s.rank = world_rank();
  s.ranks = world_size();
  s.x0 = l.x0;
  s.count = l.n0;
  long long least = s.count;
  MPI_Allreduce(MPI_IN_PLACE, &least, 1, MPI_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
  if (least < 1)
    throw std::invalid_argument("a volume of " + std::to_string(shape.nx) + " x-planes cannot be split over " +
                                std::to_string(s.ranks) + " MPI ranks (FFTW-MPI blocks leave a rank without a plane); " +
                                "run with fewer ranks");
  const std::int64_t plane = shape.ny * 2 * (shape.nz / 2 + 1);
  const std::int64_t fft_planes = (2 * static_cast<std::int64_t>(l.alloc) + plane - 1) / plane;
  s.planes = 1 + std::max<std::int64_t>(s.count + 1, fft_planes);  // ghost, owned (or FFT space), ghost
  return s;
}

Spectrum spectrum_of(const Shape3& shape) {
  const LocalSize l = local_size(shape);
  return Spectrum{l.y0, l.n1};
}

double slab_memory_bytes(const Shape3& shape, ElasticityScheme scheme, int real_bytes, int index_bytes,
                         double field_reals_per_voxel) {
  const Slab s = decompose(shape);
  const double plane = static_cast<double>(shape.ny) * 2.0 * static_cast<double>(shape.nz / 2 + 1);
  const double nyz = static_cast<double>(shape.ny * shape.nz);
  const int threads = detail::solver_threads(Shape3{s.count, shape.ny, shape.nz});
  const double fields = 4.0 * 3.0 * static_cast<double>(s.planes) * plane * real_bytes;
  // FFTW-MPI's transposes use scratch space of about one component.
  const double fft_scratch = static_cast<double>(s.planes) * plane * real_bytes;
  const double element_planes =
      2.0 * threads * nyz * (scheme == ElasticityScheme::HexFull ? 30 : 6) * real_bytes + threads * 18.0 * (shape.nz + 1) * real_bytes;
  const double index = static_cast<double>(s.count + 1) * nyz * index_bytes;
  const double out = field_reals_per_voxel * static_cast<double>(s.count) * nyz * real_bytes;
  return fields + fft_scratch + element_planes + index + out + 16.0 * static_cast<double>(shape.nx) * 8.0;
}

double rank_available_memory() {
  initialize();
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int on_node = 1;
  MPI_Comm_size(node, &on_node);
  MPI_Comm_free(&node);
  double available = detail::available_host_memory() / on_node;
  if (const char* cap = std::getenv("VOXTWIN_MEMORY_LIMIT")) {
    char* end = nullptr;
    const double limit = std::strtod(cap, &end);
    if (end == cap || !(limit >= 0) || !std::isfinite(limit))
      throw std::invalid_argument(std::string("the environment variable VOXTWIN_MEMORY_LIMIT must be a number of bytes, got '") +
                                  cap + "'");
    available = std::min(available, limit);
  }
  return available;
}

void require_slab_memory(const Shape3& shape, ElasticityScheme scheme, int real_bytes, int index_bytes,
                         double field_reals_per_voxel) {
  const double needed = slab_memory_bytes(shape, scheme, real_bytes, index_bytes, field_reals_per_voxel);
  collective([&] {
    const double available = rank_available_memory();
    if (needed > available) {
      std::ostringstream msg;
      msg.precision(3);
      msg << "MPI rank " << world_rank() << " of " << world_size() << " needs " << needed / 1073741824.0
          << " GiB for its slab of the elasticity problem " << shape.nx << "x" << shape.ny << "x" << shape.nz
          << " but only " << available / 1073741824.0 << " GiB are available to it (" << static_cast<long long>(needed)
          << " bytes needed, " << static_cast<long long>(available)
          << " available); run on more ranks or machines, in float32, or with composite voxels";
      throw InsufficientMemory(msg.str(), needed, available);
    }
  });
}

void collective(const std::function<void()>& fn) {
  int kind = 0;  // 0 ok, 1 memory, 2 bad argument, 3 other
  std::string message;
  std::exception_ptr error;
  try {
    fn();
  } catch (const InsufficientMemory& e) {
    kind = 1, message = e.what(), error = std::current_exception();
  } catch (const std::invalid_argument& e) {
    kind = 2, message = e.what(), error = std::current_exception();
  } catch (const std::exception& e) {
    kind = 3, message = e.what(), error = std::current_exception();
  } catch (...) {
    kind = 3, message = "unknown error", error = std::current_exception();
  }
  const int ranks = world_size();
  std::vector<int> kinds(ranks);
  MPI_Allgather(&kind, 1, MPI_INT, kinds.data(), 1, MPI_INT, MPI_COMM_WORLD);
  const auto first = std::find_if(kinds.begin(), kinds.end(), [](int k) { return k != 0; });
  if (first == kinds.end()) return;
  const int root = static_cast<int>(first - kinds.begin());
  int length = static_cast<int>(message.size());
  MPI_Bcast(&length, 1, MPI_INT, root, MPI_COMM_WORLD);
  std::string root_message(static_cast<std::size_t>(length), '\0');
  if (world_rank() == root) root_message = message;
  MPI_Bcast(root_message.data(), length, MPI_CHAR, root, MPI_COMM_WORLD);
  if (error) std::rethrow_exception(error);
  const std::string text = "stopped because MPI rank " + std::to_string(root) + " of " + std::to_string(ranks) +
                           " failed: " + root_message;
  if (*first == 1) throw InsufficientMemory(text, 0.0, 0.0);
  if (*first == 2) throw std::invalid_argument(text);
  throw std::runtime_error(text);
}

PlaneReducer::PlaneReducer(std::int64_t count) : counts_(world_size()), sizes_(world_size()), offsets_(world_size()) {
  const int mine = static_cast<int>(count);
  MPI_Allgather(&mine, 1, MPI_INT, counts_.data(), 1, MPI_INT, MPI_COMM_WORLD);
}

void PlaneReducer::operator()(const double* per_plane, int width, double* total) const {
  int planes = 0;
  for (std::size_t r = 0; r < counts_.size(); ++r) {
    sizes_[r] = counts_[r] * width;
    offsets_[r] = planes * width;
    planes += counts_[r];
  }
  all_.resize(static_cast<std::size_t>(planes) * width);
  const int rank = world_rank();
  MPI_Allgatherv(per_plane, sizes_[rank], MPI_DOUBLE, all_.data(), sizes_.data(), offsets_.data(), MPI_DOUBLE,
                 MPI_COMM_WORLD);
  // Ranks own consecutive planes in rank order: this is global plane order, as in the serial solver.
  for (int i = 0; i < width; ++i) total[i] = 0;
  for (int p = 0; p < planes; ++p)
    for (int i = 0; i < width; ++i) total[i] += all_[static_cast<std::size_t>(p) * width + i];
}

}  // namespace voxtwin::mpi
