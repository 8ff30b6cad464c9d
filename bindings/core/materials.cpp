#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "registry.hpp"
#include "voxtwin/materials.hpp"

namespace py = pybind11;

namespace voxtwin::bind {

void bind_materials(py::module_& m) {
  py::enum_<MaterialKind>(m, "MaterialKind")
      .value("isotropic", MaterialKind::Isotropic)
      .value("transversely_isotropic", MaterialKind::TransverselyIsotropic)
      .value("anisotropic", MaterialKind::Anisotropic)
      .value("void", MaterialKind::Void);

  py::class_<Material>(m, "Material")
      .def_readonly("kind", &Material::kind)
      .def_readonly("name", &Material::name)
      .def_readonly("C", &Material::C)
      .def_readonly("alpha", &Material::alpha)
      .def_readonly("density", &Material::density)
      .def("compliance", &Material::compliance)
      .def("rotated", &Material::rotated, py::arg("R"));

  m.def("isotropic", &isotropic, py::arg("E"), py::arg("nu"), py::arg("alpha") = 0.0, py::arg("name") = "",
        py::arg("density") = 0.0);
  m.def("isotropic_from_EG", &isotropic_from_EG, py::arg("E"), py::arg("G"), py::arg("alpha") = 0.0,
        py::arg("name") = "", py::arg("density") = 0.0);
  m.def("transversely_isotropic", &transversely_isotropic, py::arg("E1"), py::arg("E2"), py::arg("G12"),
        py::arg("nu12"), py::arg("nu23"), py::arg("alpha1"), py::arg("alpha2"), py::arg("axis"),
        py::arg("name") = "", py::arg("density") = 0.0);
  m.def("anisotropic", &anisotropic, py::arg("C"), py::arg("alpha"), py::arg("name") = "", py::arg("density") = 0.0);
  m.def("void_material", &void_material, py::arg("name") = "void");
  m.def("rotate_stiffness", &rotate_stiffness, py::arg("C"), py::arg("R"));
  m.def("rotate_strain", &rotate_strain, py::arg("strain"), py::arg("R"));
  m.def("rotation_from_axis", [](const Eigen::Vector3d& axis) { return rotation_from_axis(axis, "axis"); },
        py::arg("axis"));
}

}  // namespace voxtwin::bind
