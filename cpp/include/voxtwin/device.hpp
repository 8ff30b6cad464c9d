#pragma once
// What the CUDA backend sees at run time. Defined in libvoxtwin_cuda (voxtwin::cuda).
#include <cstddef>
#include <string>

namespace voxtwin::cuda {

/// Number of CUDA devices visible now; 0 without a GPU or driver (never throws).
int device_count();

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
