#pragma once
// A 64-byte aligned, owned array of numbers, zero-filled by the threads that will use it
// (first touch places the pages near them).
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

#include "voxtwin/parallel.hpp"

namespace voxtwin::detail {

template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) : count_(count) {
    const std::size_t bytes = ((count * sizeof(T) + 63) / 64) * 64;
    data_ = static_cast<T*>(std::aligned_alloc(64, bytes ? bytes : 64));
    if (!data_) throw std::bad_alloc();
    const std::int64_t n = static_cast<std::int64_t>(count);
    // Small buffers are filled by one thread: starting a team costs more than it saves.
    const int threads = static_cast<int>(std::min<std::int64_t>(get_num_threads(), 1 + n / (1 << 18)));
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < n; ++i) data_[i] = T(0);
  }
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& o) noexcept : data_(o.data_), count_(o.count_) {
    o.data_ = nullptr;
    o.count_ = 0;
  }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(count_, o.count_);
    return *this;
  }
  T* get() const { return data_; }
  std::size_t size() const { return count_; }

 private:
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace voxtwin::detail
