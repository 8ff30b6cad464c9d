"""Stacking sequences of layer angles (seed 000, §2.3 and the experimental section)."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _validate

__all__ = ["HELICOIDAL", "QUASI_ISOTROPIC", "stacking"]

#: [0/45/90/135/0/45/90/135]_heli of seed 000.
HELICOIDAL: tuple[float, ...] = (0.0, 45.0, 90.0, 135.0, 0.0, 45.0, 90.0, 135.0)
#: [0/90/45/135/135/45/90/0]_QI of seed 000.
QUASI_ISOTROPIC: tuple[float, ...] = (0.0, 90.0, 45.0, 135.0, 135.0, 45.0, 90.0, 0.0)


def stacking(sequence: str | Sequence[float] = "helicoidal", *, n_layers: int | None = None,
             step_deg: float = 45.0) -> list[float]:
    """In-plane angles (degrees, [0, 180)) of a stack's layers, bottom first.

    ``"helicoidal"``: seed 000's [0/45/90/135/0/45/90/135]; with ``n_layers`` or ``step_deg``
    a helicoid of that many layers turning by ``step_deg`` per layer. ``"quasi_isotropic"``
    (or ``"qi"``): seed 000's [0/90/45/135/135/45/90/0]. A sequence of numbers is taken as
    explicit angles (each reduced modulo 180).
    """
    if isinstance(sequence, str):
        name = sequence.lower().replace("-", "_")
        if name in ("helicoidal", "heli", "helix"):
            step = _validate.real("step_deg", step_deg, "degrees")
            n = 8 if n_layers is None else _validate.integer("n_layers", n_layers, minimum=1)
            return [(k * step) % 180.0 for k in range(n)]
        if name in ("quasi_isotropic", "qi"):
            if n_layers is not None:
                raise ValueError(f"`n_layers` applies to 'helicoidal' only, got n_layers={n_layers!r}")
            return list(QUASI_ISOTROPIC)
        raise ValueError(f"`sequence` must be 'helicoidal', 'quasi_isotropic' or a list of angles, got sequence={sequence!r}")
    if not isinstance(sequence, Sequence) or len(sequence) == 0:
        raise ValueError(f"`sequence` must be a name or a non-empty list of angles, got sequence={sequence!r}")
    return [_validate.real(f"sequence[{i}]", a, "degrees") % 180.0 for i, a in enumerate(sequence)]
