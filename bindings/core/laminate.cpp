#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "registry.hpp"
#include "voxtwin/laminate.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_laminate(py::module_& m) {
  m.def(
      "laminate",
      [](const std::vector<Matrix6>& C, const std::vector<Vector6>& alpha, const std::vector<double>& fractions,
         const Eigen::Vector3d& normal) {
        if (C.size() != alpha.size() || C.size() != fractions.size())
          throw py::value_error("`C`, `alpha` and `fractions` must have one entry per layer, got " +
                                std::to_string(C.size()) + ", " + std::to_string(alpha.size()) + " and " +
                                std::to_string(fractions.size()));
        std::vector<Lamina> layers(C.size());
        for (std::size_t i = 0; i < C.size(); ++i) layers[i] = {C[i], alpha[i], fractions[i]};
        const ThermoElastic out = laminate(layers, normal);
        return py::make_tuple(out.C, out.alpha);
      },
      py::arg("C"), py::arg("alpha"), py::arg("fractions"), py::arg("normal"),
      "Rank-one laminate: (C 6x6 GPa, alpha Voigt 1/K) of layers with the given fractions and normal.");
}

}  // namespace voxtwin::bind
