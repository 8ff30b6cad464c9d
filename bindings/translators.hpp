#pragma once
// Maps the core's own exceptions onto the Python classes in voxtwin.errors.
// std::invalid_argument -> ValueError and std::out_of_range -> IndexError are pybind11's defaults.
#include <pybind11/pybind11.h>

#include "voxtwin/errors.hpp"

namespace voxtwin::bind {

inline void register_translators() {
  namespace py = pybind11;
  py::register_local_exception_translator([](std::exception_ptr p) {
    auto raise = [](const char* cls, const char* what) {
      py::object type = py::module_::import("voxtwin.errors").attr(cls);
      PyErr_SetString(type.ptr(), what);
    };
    try {
      if (p) std::rethrow_exception(p);
    } catch (const voxtwin::CudaError& e) {
      raise("CUDAError", e.what());
    } catch (const voxtwin::InsufficientMemory& e) {
      raise("InsufficientMemoryError", e.what());
    }
  });
}

}  // namespace voxtwin::bind
