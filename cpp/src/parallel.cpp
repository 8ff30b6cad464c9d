#include "voxtwin/parallel.hpp"

#include <omp.h>

#include <atomic>
#include <stdexcept>
#include <string>

namespace voxtwin {

namespace {
std::atomic<int>& thread_setting() {
  static std::atomic<int> n{omp_get_max_threads()};
  return n;
}
}  // namespace

int get_num_threads() { return thread_setting().load(); }

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("`n` must be >= 1 thread, got n=" + std::to_string(n));
  thread_setting().store(n);
}

}  // namespace voxtwin
