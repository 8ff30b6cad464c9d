#include "voxtwin/volume.hpp"

#include <sstream>

namespace voxtwin {

void require_valid_shape(const Shape3& shape, const std::string& name) {
  if (shape.nx <= 0 || shape.ny <= 0 || shape.nz <= 0) {
    std::ostringstream msg;
    msg << "`" << name << "` must have three positive extents, got " << name << "=(" << shape.nx << ", "
        << shape.ny << ", " << shape.nz << ")";
    throw std::invalid_argument(msg.str());
  }
}

}  // namespace voxtwin
