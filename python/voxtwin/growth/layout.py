"""A grown layout: block ids on a grid of cells, with how they were grown and what was asked."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from .rules import AdjacencyRules

__all__ = ["Layout"]


@dataclass(frozen=True, eq=False)
class Layout:
    """Result of :func:`voxtwin.growth.grow`.

    ``blocks``: int32 ``[gx, gy, gz]`` ids into ``rules.blocks`` (-1: void cell, left empty);
    ``regions``: int32 ``[gx, gy, gz]`` frequency region of every cell (-1 void); ``targets``:
    float64 ``[n_regions, n_groups]`` target fractions per region; ``restarts``: contradictions
    met while growing, each resolved by clearing and regrowing a neighbourhood (``repairs``) or,
    when repairs kept failing, by starting over (``full_restarts``); ``seed``: the growth seed.
    ``Assembly.from_layout(library, layout)`` turns it into voxels.
    """

    blocks: np.ndarray
    rules: AdjacencyRules
    regions: np.ndarray
    targets: np.ndarray
    seed: int
    repairs: int
    full_restarts: int
    periodic: bool

    @property
    def restarts(self) -> int:
        """Contradictions resolved: local repairs plus full restarts."""
        return self.repairs + self.full_restarts

    @property
    def grid(self) -> tuple[int, int, int]:
        """Cells along X, Y, Z."""
        return tuple(int(n) for n in self.blocks.shape)  # type: ignore[return-value]

    @property
    def names(self) -> tuple[str, ...]:
        """Rule block names (what ``blocks`` indexes)."""
        return self.rules.blocks

    @property
    def library_blocks(self) -> tuple[str, ...]:
        """Library block name behind each rule block (``Assembly.from_layout`` reads it)."""
        return self.rules.library_blocks

    @property
    def transforms(self) -> np.ndarray:
        """Turn code (``assemble.transforms``) of each rule block."""
        return self.rules.transforms

    def groups(self) -> np.ndarray:
        """int32 ``[gx, gy, gz]`` frequency group (basic block) of every cell, -1 for void."""
        table = np.append(self.rules.group_of, -1).astype(np.int32)
        return table[self.blocks]

    def frequencies(self) -> np.ndarray:
        """Achieved fractions ``[n_regions, n_groups]`` (rows comparable with ``targets``)."""
        g = self.groups()
        solid = g >= 0
        n_r, n_g = self.targets.shape
        counts = np.zeros((n_r, n_g))
        np.add.at(counts, (self.regions[solid], g[solid]), 1.0)
        return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)

    def violations(self) -> int:
        """Face contacts the rules forbid (0 for a grown layout)."""
        return self.rules.violations(self.blocks, periodic=self.periodic)

    def save(self, path: str | os.PathLike) -> Path:
        """Writes ``.npz`` arrays with the rules and growth record as JSON inside."""
        path = Path(path)
        meta = {"format": "voxtwin.growth.Layout", "version": 1, "seed": self.seed, "repairs": self.repairs,
                "full_restarts": self.full_restarts, "periodic": self.periodic, "rules": self.rules.to_dict()}
        with open(path, "wb") as fh:
            np.savez_compressed(fh, blocks=self.blocks, regions=self.regions, targets=self.targets,
                                meta=np.array(json.dumps(meta)))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Layout:
        """Reads a layout written by :meth:`save`."""
        try:
            with np.load(path) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("format") != "voxtwin.growth.Layout":
                    raise ValueError("not a voxtwin growth layout")
                return cls(z["blocks"].astype(np.int32), AdjacencyRules.from_dict(meta["rules"]),
                           z["regions"].astype(np.int32), z["targets"], int(meta["seed"]), int(meta["repairs"]),
                           int(meta["full_restarts"]), bool(meta["periodic"]))
        except (OSError, KeyError, ValueError) as exc:
            raise FileFormatError(f"cannot read a growth layout from `path`={str(path)!r}: {exc}") from exc

    def __repr__(self) -> str:
        gx, gy, gz = self.grid
        return (f"Layout({gx}×{gy}×{gz} cells, {self.targets.shape[0]} regions, seed={self.seed}, "
                f"restarts={self.restarts} ({self.repairs} repairs, {self.full_restarts} full))")
