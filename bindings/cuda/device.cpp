#include "registry.hpp"
#include "voxtwin/device.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_cuda_device(py::module_& m) {
  m.def("device_count", &cuda::device_count);
  m.def(
      "device_info",
      [](int index) {
        const auto info = cuda::device_info(index);
        py::dict d;
        d["name"] = info.name;
        d["total_memory"] = info.total_memory;
        d["free_memory"] = info.free_memory;
        d["compute_capability"] = py::make_tuple(info.compute_capability_major, info.compute_capability_minor);
        return d;
      },
      py::arg("index") = 0);
}

}  // namespace voxtwin::bind
