#include "registry.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin::bind {

void bind_parallel(pybind11::module_& m) {
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", &set_num_threads, pybind11::arg("n"));
}

}  // namespace voxtwin::bind
