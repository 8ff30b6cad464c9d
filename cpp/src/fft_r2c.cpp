#include "fft_r2c.hpp"

#include <mutex>
#include <stdexcept>
#include <string>

namespace voxtwin::detail {

namespace {

template <class T>
struct Fftw;

template <>
struct Fftw<double> {
  using plan = fftw_plan;
  using complex = fftw_complex;
  static plan r2c(int rank, const int* n, int howmany, double* in, const int* inembed, int istride, int idist,
                  complex* out, const int* onembed, int ostride, int odist, unsigned flags) {
    return fftw_plan_many_dft_r2c(rank, n, howmany, in, inembed, istride, idist, out, onembed, ostride, odist, flags);
  }
  static plan c2r(int rank, const int* n, int howmany, complex* in, const int* inembed, int istride, int idist,
                  double* out, const int* onembed, int ostride, int odist, unsigned flags) {
    return fftw_plan_many_dft_c2r(rank, n, howmany, in, inembed, istride, idist, out, onembed, ostride, odist, flags);
  }
  static plan c2c(int rank, const int* n, int howmany, complex* in, const int* inembed, int istride, int idist,
                  complex* out, const int* onembed, int ostride, int odist, int sign, unsigned flags) {
    return fftw_plan_many_dft(rank, n, howmany, in, inembed, istride, idist, out, onembed, ostride, odist, sign, flags);
  }
  static void exec_r2c(plan p, double* in, complex* out) { fftw_execute_dft_r2c(p, in, out); }
  static void exec_c2r(plan p, complex* in, double* out) { fftw_execute_dft_c2r(p, in, out); }
  static void exec_c2c(plan p, complex* in, complex* out) { fftw_execute_dft(p, in, out); }
  static void destroy(plan p) { fftw_destroy_plan(p); }
  static int alignment_of(double* p) { return fftw_alignment_of(p); }
};

template <>
struct Fftw<float> {
  using plan = fftwf_plan;
  using complex = fftwf_complex;
  static plan r2c(int rank, const int* n, int howmany, float* in, const int* inembed, int istride, int idist,
                  complex* out, const int* onembed, int ostride, int odist, unsigned flags) {
    return fftwf_plan_many_dft_r2c(rank, n, howmany, in, inembed, istride, idist, out, onembed, ostride, odist, flags);
  }
  static plan c2r(int rank, const int* n, int howmany, complex* in, const int* inembed, int istride, int idist,
                  float* out, const int* onembed, int ostride, int odist, unsigned flags) {
    return fftwf_plan_many_dft_c2r(rank, n, howmany, in, inembed, istride, idist, out, onembed, ostride, odist, flags);
  }
  static plan c2c(int rank, const int* n, int howmany, complex* in, const int* inembed, int istride, int idist,
                  complex* out, const int* onembed, int ostride, int odist, int sign, unsigned flags) {
    return fftwf_plan_many_dft(rank, n, howmany, in, inembed, istride, idist, out, onembed, ostride, odist, sign, flags);
  }
  static void exec_r2c(plan p, float* in, complex* out) { fftwf_execute_dft_r2c(p, in, out); }
  static void exec_c2r(plan p, complex* in, float* out) { fftwf_execute_dft_c2r(p, in, out); }
  static void exec_c2c(plan p, complex* in, complex* out) { fftwf_execute_dft(p, in, out); }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
  static int alignment_of(float* p) { return fftwf_alignment_of(p); }
};

template <class T>
typename Fftw<T>::plan as_plan(void* p) {
  return static_cast<typename Fftw<T>::plan>(p);
}

void require_plan(const void* p, const char* what) {
  if (!p) throw std::runtime_error(std::string("FFTW could not plan the ") + what + " transform");
}

}  // namespace

// FFTW's planner is not thread-safe: every plan of the library is made under this lock.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

// FFTW's own lock as well, for plans other parts of the process make without ours.
void planner_thread_safety() {
  static std::once_flag once;
  std::call_once(once, [] {
    fftw_make_planner_thread_safe();
    fftwf_make_planner_thread_safe();
  });
}

template <class T>
SlabFft<T>::SlabFft(const PaddedGrid& g, int ncomp, int threads, T* buffer) : g_(g), ncomp_(ncomp), threads_(threads) {
  using F = Fftw<T>;
  for (int t = 0; t < threads; ++t) rows_.emplace_back(static_cast<std::size_t>(ncomp * row_size()));
  T* row = rows_[0].get();
  using C = typename F::complex;
  planner_thread_safety();
  // New-array execution needs the planning alignment on every slab and row block: plan unaligned
  // unless every offset used keeps it.
  const int base = F::alignment_of(buffer);
  const bool slabs_aligned = F::alignment_of(buffer + g.plane()) == base && F::alignment_of(buffer + g.component()) == base;
  const int row_base = F::alignment_of(row);
  const bool rows_aligned = F::alignment_of(row + row_size()) == row_base;
  const unsigned slab_flags = FFTW_ESTIMATE | (slabs_aligned ? 0u : FFTW_UNALIGNED);
  const unsigned row_flags = FFTW_ESTIMATE | (rows_aligned ? 0u : FFTW_UNALIGNED);
  const int n2[2] = {static_cast<int>(g.ny), static_cast<int>(g.nz)};
  const int real_embed[2] = {static_cast<int>(g.ny), static_cast<int>(g.nzp)};
  const int cplx_embed[2] = {static_cast<int>(g.ny), static_cast<int>(g.nzc)};
  const int n1[1] = {static_cast<int>(g.nx)};
  const int stride = static_cast<int>(g.nzc);
  C* cbuf = reinterpret_cast<C*>(buffer);
  C* crow = reinterpret_cast<C*>(row);
  std::lock_guard<std::mutex> lock(planner_mutex());
  yz_forward_ = F::r2c(2, n2, 1, buffer, real_embed, 1, 0, cbuf, cplx_embed, 1, 0, slab_flags);
  require_plan(yz_forward_, "forward (y, z)");
  yz_inverse_ = F::c2r(2, n2, 1, cbuf, cplx_embed, 1, 0, buffer, real_embed, 1, 0, slab_flags);
  require_plan(yz_inverse_, "inverse (y, z)");
  x_forward_ = F::c2c(1, n1, stride, crow, nullptr, stride, 1, crow, nullptr, stride, 1, FFTW_FORWARD, row_flags);
  require_plan(x_forward_, "forward x");
  x_inverse_ = F::c2c(1, n1, stride, crow, nullptr, stride, 1, crow, nullptr, stride, 1, FFTW_BACKWARD, row_flags);
  require_plan(x_inverse_, "inverse x");
}

template <class T>
SlabFft<T>::~SlabFft() {
  std::lock_guard<std::mutex> lock(planner_mutex());
  for (void* p : {yz_forward_, yz_inverse_, x_forward_, x_inverse_})
    if (p) Fftw<T>::destroy(as_plan<T>(p));
}

template <class T>
void SlabFft<T>::forward_yz(T* comp, std::int64_t x) const {
  T* slab = comp + x * g_.plane();
  Fftw<T>::exec_r2c(as_plan<T>(yz_forward_), slab, reinterpret_cast<typename Fftw<T>::complex*>(slab));
}

template <class T>
void SlabFft<T>::inverse_yz(T* comp, std::int64_t x) const {
  T* slab = comp + x * g_.plane();
  Fftw<T>::exec_c2r(as_plan<T>(yz_inverse_), reinterpret_cast<typename Fftw<T>::complex*>(slab), slab);
}

template <class T>
void SlabFft<T>::gather_row(const T* comp, std::int64_t y, T* block) const {
  const std::int64_t len = 2 * g_.nzc;  // reals per (x, y) row of kz
  for (std::int64_t x = 0; x < g_.nx; ++x)
    std::memcpy(block + x * len, comp + (x * g_.ny + y) * len, static_cast<std::size_t>(len) * sizeof(T));
}

template <class T>
void SlabFft<T>::scatter_row(const T* block, T* comp, std::int64_t y) const {
  const std::int64_t len = 2 * g_.nzc;
  for (std::int64_t x = 0; x < g_.nx; ++x)
    std::memcpy(comp + (x * g_.ny + y) * len, block + x * len, static_cast<std::size_t>(len) * sizeof(T));
}

template <class T>
void SlabFft<T>::forward_x(T* block) const {
  auto* c = reinterpret_cast<typename Fftw<T>::complex*>(block);
  Fftw<T>::exec_c2c(as_plan<T>(x_forward_), c, c);
}

template <class T>
void SlabFft<T>::inverse_x(T* block) const {
  auto* c = reinterpret_cast<typename Fftw<T>::complex*>(block);
  Fftw<T>::exec_c2c(as_plan<T>(x_inverse_), c, c);
}

template class SlabFft<float>;
template class SlabFft<double>;

}  // namespace voxtwin::detail
