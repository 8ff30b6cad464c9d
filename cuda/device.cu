// Runtime view of the CUDA devices (no CPU twin: the CPU backend has no device to describe).
#include "check.cuh"
#include "voxtwin/device.hpp"

namespace voxtwin::cuda {

int device_count() {
  int count = 0;
  // No driver or no GPU is a normal state on CPU machines: report 0, never throw.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error
    return 0;
  }
  return count;
}

DeviceInfo device_info(int index) {
  const int count = device_count();
  if (index < 0 || index >= count)
    throw std::out_of_range("`index` must be in [0, " + std::to_string(count) + "), got index=" + std::to_string(index));
  cudaDeviceProp prop{};
  VOXTWIN_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  VOXTWIN_CUDA_CHECK(cudaSetDevice(index));
  DeviceInfo info;
  info.name = prop.name;
  VOXTWIN_CUDA_CHECK(cudaMemGetInfo(&info.free_memory, &info.total_memory));
  info.compute_capability_major = prop.major;
  info.compute_capability_minor = prop.minor;
  return info;
}

}  // namespace voxtwin::cuda
