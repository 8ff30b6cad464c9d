#pragma once
// What the CUDA backend sees at run time. Defined in libvoxtwin_cuda (voxtwin::cuda).
#include <cstddef>
#include <string>

namespace voxtwin::cuda {

/// Number of CUDA devices visible now; 0 without a GPU or driver, and 0 when the driver is too old
/// for this build or the runtime fails (never throws: runtime_status() says which).
int device_count();

/// Why the CUDA backend can or cannot run here, from cudaGetDeviceCount and the driver/runtime
/// versions (encoded 1000 * major + 10 * minor, as CUDA does; 0 when unknown).
struct RuntimeStatus {
  enum class Code { Usable, NoDevice, NoDriver, DriverTooOld, Error };
  Code code = Code::Error;
  int device_count = 0;
  int driver_version = 0;   ///< CUDA version the installed driver supports
  int runtime_version = 0;  ///< CUDA runtime this library was built with
  std::string device_name;  ///< device 0 when usable
  std::string message;      ///< one short sentence, e.g. "usable: 1 device (NVIDIA H200)"
};
RuntimeStatus runtime_status();

/// Name and memory of device `index`.
struct DeviceInfo {
  std::string name;
  std::size_t total_memory = 0;  ///< bytes
  std::size_t free_memory = 0;   ///< bytes, at the time of the call
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
};
DeviceInfo device_info(int index = 0);

}  // namespace voxtwin::cuda
