#pragma once
// Argument checks shared by every binding: a volume argument must be a numpy array of
// exactly the expected dtype (no silent casts), 3-dimensional, C-contiguous and non-empty.
// Failures raise TypeError (wrong type or dtype) or ValueError (shape, layout), naming the
// argument and what was expected; never a crash.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "voxtwin/volume.hpp"

namespace voxtwin::bind {

namespace py = pybind11;

template <class T> inline const char* dtype_name();
template <> inline const char* dtype_name<std::uint8_t>() { return "uint8"; }
template <> inline const char* dtype_name<std::int8_t>() { return "int8"; }
template <> inline const char* dtype_name<std::uint16_t>() { return "uint16"; }
template <> inline const char* dtype_name<std::uint32_t>() { return "uint32"; }
template <> inline const char* dtype_name<std::int32_t>() { return "int32"; }
template <> inline const char* dtype_name<std::uint64_t>() { return "uint64"; }
template <> inline const char* dtype_name<float>() { return "float32"; }
template <> inline const char* dtype_name<double>() { return "float64"; }

inline std::string shape_string(const py::array& a) {
  std::ostringstream s;
  s << "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s << (i ? ", " : "") << a.shape(i);
  s << (a.ndim() == 1 ? ",)" : ")");
  return s.str();
}

/// The numpy array behind `obj`, with dtype T, `ndim` dimensions, C-contiguous and non-empty.
template <class T>
py::array checked_array(const py::handle& obj, const char* name, int ndim, bool writeable = false) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string("`") + name + "` must be a numpy array of dtype " + dtype_name<T>() + ", got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))));
  auto arr = py::reinterpret_borrow<py::array>(obj);
  if (!arr.dtype().is(py::dtype::of<T>()) && !arr.dtype().equal(py::dtype::of<T>()))
    throw py::type_error(std::string("`") + name + "` must have dtype " + dtype_name<T>() + ", got dtype " +
                         std::string(py::str(arr.dtype())) + " (convert explicitly, e.g. " + name + ".astype(numpy." +
                         dtype_name<T>() + "))");
  if (arr.ndim() != ndim)
    throw py::value_error(std::string("`") + name + "` must be a " + std::to_string(ndim) + "D array" +
                          (ndim == 3 ? " indexed [x, y, z]" : "") + ", got shape " + shape_string(arr));
  if (!(arr.flags() & py::array::c_style))
    throw py::value_error(std::string("`") + name + "` must be C-contiguous; pass numpy.ascontiguousarray(" + name + ")");
  if (arr.size() == 0)
    throw py::value_error(std::string("`") + name + "` must not be empty, got shape " + shape_string(arr));
  if (writeable && !arr.writeable())
    throw py::value_error(std::string("`") + name + "` must be writeable");
  return arr;
}

inline Shape3 shape3(const py::array& arr) { return Shape3{arr.shape(0), arr.shape(1), arr.shape(2)}; }

/// Read-only view of a 3D volume argument (checked as above).
template <class T>
VolumeView<const T> volume_in(const py::handle& obj, const char* name) {
  py::array arr = checked_array<T>(obj, name, 3);
  return VolumeView<const T>{static_cast<const T*>(arr.data()), shape3(arr)};
}

/// Writeable view of a 3D volume argument (checked as above).
template <class T>
VolumeView<T> volume_out(const py::handle& obj, const char* name) {
  py::array arr = checked_array<T>(obj, name, 3, true);
  return VolumeView<T>{static_cast<T*>(arr.mutable_data()), shape3(arr)};
}

/// ValueError unless two volumes have the same shape.
inline void require_same_shape(const Shape3& a, const char* name_a, const Shape3& b, const char* name_b) {
  if (a != b) {
    std::ostringstream s;
    s << "`" << name_b << "` must have the shape of `" << name_a << "` (" << a.nx << ", " << a.ny << ", " << a.nz
      << "), got (" << b.nx << ", " << b.ny << ", " << b.nz << ")";
    throw py::value_error(s.str());
  }
}

/// A new C-contiguous numpy volume of dtype T (uninitialized).
template <class T>
py::array_t<T> new_volume(const Shape3& s) {
  return py::array_t<T>({s.nx, s.ny, s.nz});
}

}  // namespace voxtwin::bind
