#pragma once
// Exceptions of the C++ core beyond the standard ones.
// Bad arguments throw std::invalid_argument (Python: ValueError) and
// out-of-range indices std::out_of_range (Python: IndexError); messages name the
// argument and echo the value, e.g. "`nu` must be in (-1, 0.5), got nu=0.5".
#include <stdexcept>
#include <string>

namespace voxtwin {

/// A CUDA runtime, cuFFT or kernel failure (Python: voxtwin.CUDAError).
class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A problem that does not fit the memory of the device that should run it,
/// detected before allocating (Python: voxtwin.InsufficientMemoryError).
class InsufficientMemory : public std::runtime_error {
 public:
  InsufficientMemory(const std::string& what, double required_bytes, double available_bytes)
      : std::runtime_error(what), required(required_bytes), available(available_bytes) {}
  double required;   ///< bytes the problem needs
  double available;  ///< bytes the device has free
};

}  // namespace voxtwin
