"""``voxtwin view STORE``: open a volume in napari (the ``view`` extra), lazily for OME-Zarr pyramids."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import BackendUnavailableError

__all__ = ["view", "HOW_TO_GET_NAPARI"]

HOW_TO_GET_NAPARI = ('napari is not installed: pip install "voxtwin[view]" (napari, Qt and the napari-ome-zarr '
                     "plugin); or open the store in any OME-Zarr viewer (neuroglancer, ParaView via "
                     "`voxtwin export STORE --format vti`)")


def _napari():
    try:
        import napari
    except ImportError as exc:
        raise BackendUnavailableError(f"{HOW_TO_GET_NAPARI} ({exc})") from exc
    return napari


def view(path: str | os.PathLike, *, block: bool = True) -> object:
    """Open ``path`` in a napari window and return the viewer (``block``: run napari's event loop).

    OME-Zarr stores (what voxtwin writes) go through the napari-ome-zarr plugin, which reads the
    pyramid lazily with its micrometre scale; other volumes are read with ``voxtwin.io.read``.
    """
    p = Path(os.fspath(path))
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or folder")
    napari = _napari()
    from .io import read
    from .io.zarr_store import is_zarr

    viewer = napari.Viewer(title=f"voxtwin: {p.name}")
    ome = is_zarr(p) and '"multiscales"' in (p / "zarr.json").read_text(encoding="utf-8", errors="replace")
    if ome:
        viewer.open(str(p), plugin="napari-ome-zarr")
    else:
        vol = read(p, progress=False)
        scale = (vol.voxel_size or 1.0,) * 3
        if vol.data.dtype.kind in "biu" and vol.data.dtype.itemsize <= 4 and int(vol.data.max()) < 2**16:
            viewer.add_labels(vol.data.astype("uint32", copy=False) if vol.data.dtype.kind == "b" else vol.data,
                              scale=scale, name=p.stem)
        else:
            viewer.add_image(vol.data, scale=scale, name=p.stem)
    if block:
        napari.run()
    return viewer
