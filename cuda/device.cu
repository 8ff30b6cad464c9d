// Runtime view of the CUDA devices (no CPU twin: the CPU backend has no device to describe).
#include <cuda_runtime.h>

#include "check.cuh"
#include "voxtwin/device.hpp"

namespace voxtwin::cuda {

namespace {

std::string cuda_version_string(int v) {
  if (v <= 0) return "unknown";
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

/// Restores the caller's current device on scope exit (device_info must not change it).
class CurrentDeviceGuard {
 public:
  CurrentDeviceGuard() { have_ = cudaGetDevice(&device_) == cudaSuccess; }
  ~CurrentDeviceGuard() {
    if (have_) cudaSetDevice(device_);
  }
  CurrentDeviceGuard(const CurrentDeviceGuard&) = delete;
  CurrentDeviceGuard& operator=(const CurrentDeviceGuard&) = delete;

 private:
  int device_ = 0;
  bool have_ = false;
};

}  // namespace

RuntimeStatus runtime_status() {
  RuntimeStatus st;
  cudaRuntimeGetVersion(&st.runtime_version);  // static runtime: always answers
  if (cudaDriverGetVersion(&st.driver_version) != cudaSuccess) st.driver_version = 0;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  cudaGetLastError();  // clear a sticky error: later calls must not inherit it
  const std::string versions =
      " (driver supports CUDA " + cuda_version_string(st.driver_version) + ", this build needs CUDA " +
      cuda_version_string(st.runtime_version) + ")";
  if (err == cudaSuccess && count > 0) {
    st.code = RuntimeStatus::Code::Usable;
    st.device_count = count;
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) st.device_name = prop.name;
    st.message = "usable: " + std::to_string(count) + (count == 1 ? " device (" : " devices (") + st.device_name + ")";
  } else if (err == cudaSuccess || err == cudaErrorNoDevice) {
    st.code = RuntimeStatus::Code::NoDevice;
    st.message = "no device: the CUDA driver sees no GPU";
  } else if (err == cudaErrorInsufficientDriver) {
    st.code = st.driver_version > 0 ? RuntimeStatus::Code::DriverTooOld : RuntimeStatus::Code::NoDriver;
    st.message = st.driver_version > 0 ? "driver too old for this build" + versions
                                       : "no device: no NVIDIA driver is installed";
  } else {
    st.code = RuntimeStatus::Code::Error;
    st.message = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(err) + ": " + cudaGetErrorString(err) +
                 versions;
  }
  return st;
}

int device_count() { return runtime_status().device_count; }

DeviceInfo device_info(int index) {
  const int count = device_count();
  if (index < 0 || index >= count)
    throw std::out_of_range("`index` must be in [0, " + std::to_string(count) + "), got index=" + std::to_string(index));
  cudaDeviceProp prop{};
  VOXTWIN_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  const CurrentDeviceGuard guard;  // cudaMemGetInfo reads the current device
  VOXTWIN_CUDA_CHECK(cudaSetDevice(index));
  DeviceInfo info;
  info.name = prop.name;
  VOXTWIN_CUDA_CHECK(cudaMemGetInfo(&info.free_memory, &info.total_memory));
  info.compute_capability_major = prop.major;
  info.compute_capability_minor = prop.minor;
  return info;
}

}  // namespace voxtwin::cuda
