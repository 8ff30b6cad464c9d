#pragma once
// Error checks for CUDA runtime and cuFFT calls: failures become voxtwin::CudaError
// (Python: voxtwin.CUDAError) carrying the call, the file and line, and CUDA's message.
#include <cuda_runtime.h>
#include <cufft.h>

#include <string>

#include "voxtwin/errors.hpp"

namespace voxtwin::cuda_detail {

inline void check(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess)
    throw CudaError(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                    cudaGetErrorString(status));
}

inline void check(cufftResult status, const char* call, const char* file, int line) {
  if (status != CUFFT_SUCCESS)
    throw CudaError(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": cufftResult " +
                    std::to_string(static_cast<int>(status)));
}

/// Owning device buffer; frees on scope exit so an exception never leaks GPU memory.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t count) : count_(count) {
    if (count_ > 0) check(cudaMalloc(&ptr_, count_ * sizeof(T)), "cudaMalloc", __FILE__, __LINE__);
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return ptr_; }
  std::size_t size() const { return count_; }

 private:
  T* ptr_ = nullptr;
  std::size_t count_ = 0;
};

/// Throws voxtwin::InsufficientMemory ("`what` needs … MiB on the GPU, … MiB are free") unless
/// `needed` bytes fit in 95 % of the free device memory; call before allocating.
inline void require_free_memory(double needed, const char* what) {
  std::size_t free_bytes = 0, total_bytes = 0;
  check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo", __FILE__, __LINE__);
  if (needed > 0.95 * double(free_bytes))
    throw InsufficientMemory(std::string(what) + " needs " + std::to_string(needed / (1 << 20)) + " MiB on the GPU, " +
                                 std::to_string(double(free_bytes) / (1 << 20)) + " MiB are free",
                             needed, double(free_bytes));
}

}  // namespace voxtwin::cuda_detail

#define VOXTWIN_CUDA_CHECK(call) ::voxtwin::cuda_detail::check((call), #call, __FILE__, __LINE__)
// Kernel launches report configuration errors through cudaGetLastError.
#define VOXTWIN_CUDA_CHECK_LAUNCH() ::voxtwin::cuda_detail::check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)
