#pragma once
// Laminate homogenization: the effective stiffness and thermal expansion of parallel layers
// (a rank-one laminate), the constitutive law of a composite voxel (Kabel, Merkert, Schneider,
// Andrae, Comput. Methods Appl. Mech. Engrg. 294 (2015); Milton, Theory of Composites, ch. 9).
//
// Across the interfaces the in-plane strains and the normal tractions are continuous; with the
// layer normal along e1 that makes sigma_11, sigma_12, sigma_13 ("serial") and eps_22, eps_33,
// gamma_23 ("parallel") equal in every layer. The thermal part follows from the same conditions
// with sigma_i = C_i (eps_i - alpha_i dT).
#include <vector>

#include "voxtwin/voigt.hpp"

namespace voxtwin {

/// One layer: stiffness (GPa, Voigt), CTE (1/K, Voigt with engineering shears), volume fraction.
/// A stiffness that is exactly zero marks a void layer.
struct Lamina {
  Matrix6 C = Matrix6::Zero();
  Vector6 alpha = Vector6::Zero();
  double fraction = 0.0;
};

/// A homogenized thermo-elastic law: sigma = C (eps - alpha dT).
struct ThermoElastic {
  Matrix6 C = Matrix6::Zero();      ///< GPa
  Vector6 alpha = Vector6::Zero();  ///< 1/K, engineering shear slots
};

/// Effective law of the layers `layers` stacked with unit normal along `normal` (any non-zero
/// length). Any number of layers; fractions >= 0 summing to 1 (to 1e-9). Layers with the same
/// normal commute, so only the fractions matter, not the order.
///
/// Void layers: no normal traction can cross them, so with any void fraction > 0 the serial
/// stiffness is zero and each solid layer deforms with its traction-free in-plane stiffness
/// (A22 - A21 A11^-1 A12, weighted by its fraction). Their CTE is then not defined along the
/// serial directions by the stiffness alone; `alpha` holds the fraction-weighted free thermal
/// strain of the solid layers there (so a single solid phase with a void keeps its own CTE).
/// All layers void: C = 0, alpha = 0.
///
/// Throws std::invalid_argument for no layers, negative / non-finite fractions, fractions not
/// summing to 1, non-finite stiffness or CTE, or a zero normal.
ThermoElastic laminate(const std::vector<Lamina>& layers, const Eigen::Vector3d& normal);

}  // namespace voxtwin
