#pragma once
// Numbers echoed in error messages ("got nu=0.5"): 10 significant digits, enough to recognise
// the value a caller passed without the noise of a full round-trip representation.
#include <sstream>
#include <string>

namespace voxtwin::detail {

inline std::string format_value(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

}  // namespace voxtwin::detail
