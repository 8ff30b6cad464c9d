"""VTK image data (``.vti``, XML, zlib-compressed) for ParaView: volumes and fields with their spacing.

Written with the maintained ``vtk`` wheel (the ``vtk`` extra: ``pip install "voxtwin[vtk]"``). VTK
stores image points with x fastest, which is the Fortran order of voxtwin's [x, y, z] arrays. A
field [c, x, y, z] becomes one point-data array with c components (six Voigt stresses: ParaView
shows each component and the magnitude). The origin sits at the first voxel's centre, half a voxel
in from the outer corner that voxtwin's coordinates start at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BackendUnavailableError

__all__ = ["write_vti", "read_vti", "import_vtk"]


def import_vtk() -> Any:
    """The ``vtk`` module, or a BackendUnavailableError saying how to get it."""
    try:
        from types import SimpleNamespace

        from vtkmodules.vtkCommonDataModel import vtkImageData
        from vtkmodules.vtkIOXML import vtkXMLImageDataReader, vtkXMLImageDataWriter
    except ImportError as exc:
        raise BackendUnavailableError(
            f"VTK files need the vtk package ({exc}); install it with: pip install \"voxtwin[vtk]\"") from exc
    return SimpleNamespace(vtkImageData=vtkImageData, vtkXMLImageDataReader=vtkXMLImageDataReader,
                           vtkXMLImageDataWriter=vtkXMLImageDataWriter)


def write_vti(path: Path, data: np.ndarray, voxel_size: float | None, name: str = "") -> None:
    """Write [x, y, z] (point data ``name`` or "labels"/"values") or [c, x, y, z] (c components) to ``path``."""
    vtk = import_vtk()
    from vtkmodules.util import numpy_support

    components = data.ndim == 4
    spatial = data.shape[-3:]
    if data.dtype.kind == "b":
        data = data.astype(np.uint8)
    vs = 1.0 if voxel_size is None else float(voxel_size)
    image = vtk.vtkImageData()
    image.SetDimensions(*spatial)
    image.SetSpacing(vs, vs, vs)
    image.SetOrigin(vs / 2, vs / 2, vs / 2)
    if components:
        flat = np.ascontiguousarray(np.stack([data[c].ravel(order="F") for c in range(data.shape[0])], axis=1))
    else:
        flat = np.ascontiguousarray(data.ravel(order="F"))
    array = numpy_support.numpy_to_vtk(flat, deep=True)
    array.SetName(name or ("field" if components else ("labels" if data.dtype.kind in "iu" else "values")))
    image.GetPointData().SetScalars(array)
    writer = vtk.vtkXMLImageDataWriter()
    writer.SetFileName(str(path))
    writer.SetInputData(image)
    writer.SetCompressorTypeToZLib()
    writer.SetDataModeToAppended()
    writer.EncodeAppendedDataOff()
    if writer.Write() != 1:
        raise OSError(f"{path}: VTK could not write the file")


def read_vti(path: Path) -> tuple[np.ndarray, tuple[float, float, float], tuple[float, float, float]]:
    """Data ([x, y, z] or [c, x, y, z]), spacing and origin (µm) of the point scalars of a ``.vti`` file."""
    vtk = import_vtk()
    from vtkmodules.util import numpy_support

    reader = vtk.vtkXMLImageDataReader()
    reader.SetFileName(str(path))
    reader.Update()
    image = reader.GetOutput()
    dims = image.GetDimensions()
    scalars = image.GetPointData().GetScalars()
    if scalars is None:
        raise ValueError(f"{path}: no point scalars in this VTK image")
    flat = numpy_support.vtk_to_numpy(scalars)
    if flat.ndim == 2:
        data = np.stack([flat[:, c].reshape(dims, order="F") for c in range(flat.shape[1])])
    else:
        data = flat.reshape(dims, order="F")
    return np.ascontiguousarray(data), tuple(image.GetSpacing()), tuple(image.GetOrigin())
