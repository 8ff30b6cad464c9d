#pragma once
// Umbrella header of the voxtwin C++ core (namespace voxtwin).
// CMake: find_package(voxtwin) and target_link_libraries(app voxtwin::core).
#include "voxtwin/composite_table.hpp"
#include "voxtwin/composite_voxels.hpp"
#include "voxtwin/elasticity.hpp"
#include "voxtwin/errors.hpp"
#include "voxtwin/fibres.hpp"
#include "voxtwin/growth.hpp"
#include "voxtwin/laminate.hpp"
#include "voxtwin/materials.hpp"
#include "voxtwin/parallel.hpp"
#include "voxtwin/paste.hpp"
#include "voxtwin/phase_counts.hpp"
#include "voxtwin/version.hpp"
#include "voxtwin/voigt.hpp"
#include "voxtwin/volume.hpp"
