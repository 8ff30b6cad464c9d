"""What every pipeline stage sees: the checked configuration, the run folder, and helpers for
volumes, figures and materials, so that stages hold only their own step's logic."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import io as vtio
from ..materials import Material, material_from_dict, material_library
from .rundir import RunDir


@dataclass
class Context:
    config: dict[str, dict[str, Any]]
    run: RunDir
    progress: bool = True
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return int(self.config["run"]["seed"])

    @property
    def device(self) -> str:
        return str(self.config["run"]["device"])

    # ------------------------------------------------------------------ volumes
    def volume_path(self, name: str) -> Path:
        return self.run.file("volumes", f"{name}.zarr")

    def save_volume(self, name: str, data: np.ndarray, voxel_size: float | None) -> str:
        """Write volumes/<name>.zarr (replacing an older one) and return its run-relative path."""
        path = vtio.write(self.volume_path(name), data, voxel_size=voxel_size, overwrite=True, progress=False)
        self._cache[name] = (data, voxel_size)
        return self.run.rel(path)

    def has_volume(self, name: str) -> bool:
        return name in self._cache or self.volume_path(name).exists()

    def volume(self, name: str) -> tuple[np.ndarray, float | None]:
        """(data, voxel size in µm) of volumes/<name>.zarr."""
        if name not in self._cache:
            vol = vtio.read(self.volume_path(name), progress=False)
            self._cache[name] = (vol.data, vol.voxel_size)
        return self._cache[name]

    # ------------------------------------------------------------------ figures
    def figure(self, name: str, fig: Any) -> str:
        """Save a matplotlib figure as figures/<name>.png, close it, return its run-relative path."""
        import matplotlib.pyplot as plt

        path = self.run.file("figures", f"{name}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return self.run.rel(path)

    # ------------------------------------------------------------------ materials
    def materials(self) -> dict[int, Material]:
        """``{label: Material}`` from [materials]: library names or tables of Material.to_dict form."""
        library = material_library()
        out: dict[int, Material] = {}
        for label, value in self.config["materials"].items():
            if isinstance(value, str):
                if value not in library:
                    raise ValueError(f"`materials.{label}` names no library material, got {value!r}; "
                                     f"known: {sorted(library)}")
                out[int(label)] = library[value]
            else:
                out[int(label)] = material_from_dict(dict(value))
        return out


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend (a run needs no screen)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
