#include "registry.hpp"
#include "voxtwin/device.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_cuda_device(py::module_& m) {
  m.def("device_count", &cuda::device_count);
  m.def("runtime_status", [] {
    const cuda::RuntimeStatus st = cuda::runtime_status();
    static const char* codes[] = {"usable", "no_device", "no_driver", "driver_too_old", "error"};
    py::dict d;
    d["code"] = codes[static_cast<int>(st.code)];
    d["device_count"] = st.device_count;
    d["driver_version"] = st.driver_version;
    d["runtime_version"] = st.runtime_version;
    d["device_name"] = st.device_name;
    d["message"] = st.message;
    return d;
  });
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
