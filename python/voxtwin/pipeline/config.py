"""The pipeline's TOML configuration: sections, defaults, and checks that name the offending key.

A minimal file names nothing at all (the built-in example runs); every key has a default. Keys
are checked as they are read: a misspelt key, a wrong type or a value out of range raises a
``ValueError`` naming ``section.key`` and echoing the value, before any work starts.
"""

from __future__ import annotations

import copy
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# Defaults of every section. The built-in example is sized so that the whole demo runs in a few
# minutes on two CPU cores (a 96×96×64 scan at 2.5 µm, 64³ blocks at 4 µm, 2×2 blocks per layer).
DEFAULTS: dict[str, dict[str, Any]] = {
    "run": {"name": "run", "output": "", "seed": 0, "device": "auto", "threads": 0, "progress": True},
    "input": {
        "scan": "builtin",  # "builtin" or a path: TIFF stack/folder, .raw/.bin, .npy, .zarr
        "voxel_size": 0.0,  # µm; 0 = from the file's metadata
        "labelled": False,  # the file already holds phase labels (0 matrix, 1 fibre, 2 void)
        "shape": [],  # raw files only
        "dtype": "",  # raw files only
        "byte_order": "little",  # raw files only
    },
    "builtin": {  # the built-in example: a synthetic CT of a generated fibre composite
        "shape": [96, 96, 64],
        "voxel_size": 2.5,
        "volume_fraction": 0.10,
        "diameter": 15.0,
        "diameter_std": 1.5,
        "length": 100.0,
        "length_std": 20.0,
        "angle": 0.0,
        "spread_deg": 15.0,
        "void_fraction": 0.02,
        "seed": 7,
    },
    "roi": {"origin": [0, 0, 0], "size": []},  # voxels; empty size = to the end of the volume
    "segmentation": {
        "method": "unet",  # "unet" | "otsu" | "none"
        "classes": 3,
        "epochs": 3,
        "depth": 2,
        "features": 16,
        "window": 52,
        "steps_per_epoch": 100,
        "batch_size": 2,
        "threads": 1,  # torch threads (results are reproducible for a fixed count)
        "strokes": 20,  # brushed objects per phase ("auto" and "simulated" annotations)
        "rounds": 1,  # annotate -> train -> segment rounds ("simulated" annotations)
        "annotations": "auto",  # "auto" | "simulated" (built-in example only) | path to an int8 volume
    },
    "characterization": {"fibre_label": 1, "periodic": False},
    "twins": {
        "angles": [0.0, 45.0, 90.0, 135.0],
        "block_shape": [64, 64, 64],
        "voxel_size": 4.0,
        "threshold": 0.85,
        "max_iter": 10,
        # The first guess: "scan" (Gaussian fits of the scan's statistics) or "nominal" (the values
        # below, e.g. from a datasheet), which the closed loop then corrects towards the scan.
        "start": "scan",
        "nominal_diameter": 13.0,
        "nominal_length": 70.0,
        "nominal_spread_deg": 30.0,
        # Fibre placement (generate_fibres `method`): "rsa" reproduces earlier runs; "migrate" reaches
        # industrial fractions (RSA jams near 17-20 vol% for seed 000's fibres); "auto" picks by fraction.
        "method": "rsa",
    },
    "assembly": {
        # sequence names, explicit angle lists, or { name = "...", angles = [...] }
        "stacks": ["helicoidal", "quasi_isotropic", {"name": "unidirectional", "angles": [0.0] * 8}],
        "layer_shape": [2, 2],
        "axis": "z",
        "gcode": "",  # a slicer G-code file: its drawing path gives the layout instead of `stacks`
        "cell_size_um": 0.0,  # G-code cells; 0 = the block edge
        "write_zarr": True,
        "chunks": [],  # zarr chunk shape in voxels; empty = one block
    },
    # factor: fine voxels per composite-voxel edge (1 = simulate the fine voxels). route: "voxels"
    # merges the assembly's fine labels; "fibres" computes the composite voxels (edge factor × the
    # twins' voxel size) from the blocks' fibre tables (vt.fibre_composite_assembly, Mori–Tanaka
    # of the fibres' equal-volume spheroids, 16³ quadrature points); no voids on that route.
    "composite": {"factor": 4, "route": "voxels"},
    "materials": {"0": "pla", "1": "basalt_fibre", "2": "air"},
    "simulation": {
        "homogenize": True,
        "tol": 1e-5,
        "max_iter": 1000,
        "rose_plane": "xy",
        "rose_n": 360,
        "thermal": True,
        "temperature_from_C": 50.0,
        "temperature_to_C": 25.0,
        "fields": True,  # solve one stack under uniaxial stress for field slices and per-phase statistics
        "load_angle_deg": 90.0,  # direction of the uniaxial load in the XY plane (seed 000 Fig. 4h,i)
        "mpi_ranks": 1,  # > 1: the homogenizations run under `mpirun -n mpi_ranks` (CPU, float64), stores read by slab
    },
}

SECTIONS = tuple(DEFAULTS)
#: How the simulate stage makes composite voxels: from the assembly's fine labels, or from its fibre tables.
COMPOSITE_ROUTES = ("voxels", "fibres")


def _where(section: str, key: str) -> str:
    return f"`{section}.{key}`"


def _check_type(section: str, key: str, value: Any, default: Any) -> Any:
    """The value, converted to the default's type where that is lossless; else TypeError/ValueError."""
    where = _where(section, key)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError(f"{where} must be true or false, got {section}.{key}={value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{where} must be an integer, got {section}.{key}={value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise TypeError(f"{where} must be a finite number, got {section}.{key}={value!r}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise TypeError(f"{where} must be a string, got {section}.{key}={value!r}")
        return value
    if isinstance(default, list):
        if not isinstance(value, list):
            raise TypeError(f"{where} must be a list, got {section}.{key}={value!r}")
        return value
    return value


def _int_list(section: str, key: str, value: Sequence[Any], length: int | None, minimum: int) -> list[int]:
    where = _where(section, key)
    if length is not None and len(value) != length:
        raise ValueError(f"{where} must have {length} entries, got {section}.{key}={value!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in value):
        raise ValueError(f"{where} must hold integers >= {minimum}, got {section}.{key}={value!r}")
    return [int(v) for v in value]


def _choice(section: str, key: str, value: str, options: Sequence[str]) -> str:
    if value not in options:
        raise ValueError(
            f"{_where(section, key)} must be one of {', '.join(map(repr, options))}, got {section}.{key}={value!r}"
        )
    return value


def _positive(section: str, key: str, value: float, *, allow_zero: bool = False) -> float:
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{_where(section, key)} must be {bound}, got {section}.{key}={value!r}")
    return value


def _merge(user: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    unknown = sorted(set(user) - set(SECTIONS))
    if unknown:
        raise ValueError(f"unknown section(s) {unknown} in the configuration; known: {list(SECTIONS)}")
    config = copy.deepcopy(DEFAULTS)
    for section, values in user.items():
        if not isinstance(values, Mapping):
            raise TypeError(f"`{section}` must be a table ([{section}]), got {values!r}")
        if section == "materials":  # free-form: label -> library name or material table
            config[section] = {str(k): v for k, v in values.items()}
            continue
        unknown = sorted(set(values) - set(DEFAULTS[section]))
        if unknown:
            raise ValueError(f"unknown key(s) {unknown} in [{section}]; known: {sorted(DEFAULTS[section])}")
        for key, value in values.items():
            config[section][key] = _check_type(section, key, value, DEFAULTS[section][key])
    return config


def _run_name(name: str) -> str:
    """A run name is one folder name below runs/: no path separators, no '..', no control characters."""
    bad = (not name.strip() or name in (".", "..") or any(ch in name for ch in '/\\\0:')
           or any(ord(ch) < 32 for ch in name) or name.startswith("."))
    if bad:
        raise ValueError(f"`run.name` must be a plain folder name (letters, digits, spaces, '-', '_', '.'; no '/', "
                         f"'..' or leading '.'), got run.name={name!r}; to write elsewhere set `run.output` to an "
                         "absolute path")
    return name


def _finite_angles(where: str, values: Sequence[Any]) -> None:
    bad = [v for v in values if not math.isfinite(float(v))]
    if bad:
        raise ValueError(f"`{where}` must hold finite angles in degrees, got {where}={list(values)!r}")


def _materials(c: dict[str, dict[str, Any]]) -> None:
    """Build every material now, so an unknown name or impossible constants stop the run before it starts."""
    from ..materials import material_from_dict, material_library

    library = material_library()
    for label, value in c["materials"].items():
        if isinstance(value, str):
            if value not in library:
                raise ValueError(f"`materials.{label}` names no library material, got materials.{label}={value!r}; "
                                 f"known: {sorted(library)}")
        else:
            try:
                material_from_dict(dict(value))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"`materials.{label}`: {exc}") from None


def check_inputs(c: dict[str, dict[str, Any]]) -> None:
    """Input files must be there before the first stage runs (not found after minutes of work).

    Raises voxtwin.MissingFileError naming ``section.key``.
    """
    from .._limits import regular_file
    from ..errors import MissingFileError

    for section, key, special in (("input", "scan", "builtin"), ("assembly", "gcode", ""),
                                  ("segmentation", "annotations", "auto simulated")):
        value = c[section][key]
        if value and value not in special.split():
            if not Path(value).exists():
                raise MissingFileError(f"`{section}.{key}`: no such file {value!r}")
            if not Path(value).is_dir():  # a folder of slices or a zarr store is fine; a device or pipe is not
                regular_file(Path(value), f"`{section}.{key}`")


# Memory per voxel of the built-in example's scan (grey values, labels, U-Net activations per
# window, statistics) and per block voxel while generating twins: generous upper bounds.
_SCAN_BYTES_PER_VOXEL = 64
_BLOCK_BYTES_PER_VOXEL = 16


def _memory(c: dict[str, dict[str, Any]]) -> None:
    """Shapes in the configuration against the memory available, before any stage starts."""
    from .._limits import require_memory

    if c["input"]["scan"] == "builtin":
        shape = c["builtin"]["shape"]
        require_memory(math.prod(shape) * _SCAN_BYTES_PER_VOXEL, f"`builtin.shape`={shape}", "a smaller shape")
    block = c["twins"]["block_shape"]
    require_memory(math.prod(block) * _BLOCK_BYTES_PER_VOXEL, f"`twins.block_shape`={block}", "smaller blocks")
    layer = c["assembly"]["layer_shape"]
    longest = max([len(s["angles"]) if isinstance(s, Mapping) else len(s) if isinstance(s, list) else 16
                   for s in c["assembly"]["stacks"]] or [1])
    require_memory(math.prod(layer) * longest * math.prod(block) * 2.0,
                   f"`assembly.layer_shape`={layer} of {block} blocks, {longest} layers (a stack is simulated whole)",
                   "fewer or smaller blocks per layer")


def _validate(c: dict[str, dict[str, Any]]) -> None:
    _choice("run", "device", c["run"]["device"], ("auto", "cpu", "cuda"))
    _run_name(c["run"]["name"])
    if not 0 <= c["run"]["seed"] < 2**64:
        raise ValueError(f"`run.seed` must be in [0, 2**64), got run.seed={c['run']['seed']!r}")
    if c["run"]["threads"] < 0:
        raise ValueError(f"`run.threads` must be >= 0 (0 = all cores), got run.threads={c['run']['threads']!r}")
    _positive("input", "voxel_size", c["input"]["voxel_size"], allow_zero=True)
    if c["input"]["shape"]:
        c["input"]["shape"] = _int_list("input", "shape", c["input"]["shape"], 3, 1)
    _choice("input", "byte_order", c["input"]["byte_order"], ("little", "big"))
    b = c["builtin"]
    b["shape"] = _int_list("builtin", "shape", b["shape"], 3, 16)
    for key in ("voxel_size", "diameter", "length"):
        _positive("builtin", key, b[key])
    for key in ("diameter_std", "length_std", "spread_deg"):
        _positive("builtin", key, b[key], allow_zero=True)
    if not 0 < b["volume_fraction"] < 0.3:
        raise ValueError(f"`builtin.volume_fraction` must be in (0, 0.3), got builtin.volume_fraction={b['volume_fraction']!r}")
    if not 0 <= b["void_fraction"] < 0.3:
        raise ValueError(f"`builtin.void_fraction` must be in [0, 0.3), got builtin.void_fraction={b['void_fraction']!r}")
    c["roi"]["origin"] = _int_list("roi", "origin", c["roi"]["origin"], 3, 0)
    if c["roi"]["size"]:
        c["roi"]["size"] = _int_list("roi", "size", c["roi"]["size"], 3, 1)
    s = c["segmentation"]
    _choice("segmentation", "method", s["method"], ("unet", "otsu", "none"))
    for key, low in (("classes", 2), ("epochs", 1), ("depth", 1), ("features", 1), ("window", 8), ("rounds", 1),
                     ("steps_per_epoch", 1), ("batch_size", 1), ("threads", 1), ("strokes", 1)):
        if s[key] < low:
            raise ValueError(f"`segmentation.{key}` must be >= {low}, got segmentation.{key}={s[key]!r}")
    t = c["twins"]
    if not t["angles"] or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in t["angles"]):
        raise ValueError(f"`twins.angles` must be a non-empty list of angles in degrees, got twins.angles={t['angles']!r}")
    t["angles"] = [float(a) for a in t["angles"]]
    _finite_angles("twins.angles", t["angles"])
    t["block_shape"] = _int_list("twins", "block_shape", t["block_shape"], 3, 8)
    _positive("twins", "voxel_size", t["voxel_size"])
    if not 0 < t["threshold"] <= 1:
        raise ValueError(f"`twins.threshold` must be in (0, 1], got twins.threshold={t['threshold']!r}")
    if t["max_iter"] < 1:
        raise ValueError(f"`twins.max_iter` must be >= 1, got twins.max_iter={t['max_iter']!r}")
    _choice("twins", "start", t["start"], ("scan", "nominal"))
    _choice("twins", "method", t["method"], ("rsa", "migrate", "auto"))
    for key in ("nominal_diameter", "nominal_length", "nominal_spread_deg"):
        _positive("twins", key, t[key])
    a = c["assembly"]
    def angle_list(v: Any) -> bool:
        return isinstance(v, list) and bool(v) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)

    for i, stack in enumerate(a["stacks"]):
        named = isinstance(stack, Mapping) and set(stack) == {"name", "angles"} and isinstance(stack["name"], str) \
            and stack["name"].replace("_", "").isalnum() and angle_list(stack["angles"])
        if not (isinstance(stack, str) or angle_list(stack) or named):
            raise ValueError(f"`assembly.stacks[{i}]` must be a sequence name, a list of angles or "
                             f"{{ name = \"...\", angles = [...] }}, got {stack!r}")
        if not isinstance(stack, str):
            _finite_angles(f"assembly.stacks[{i}]", stack["angles"] if isinstance(stack, Mapping) else stack)
    if not a["stacks"] and not a["gcode"]:
        raise ValueError("`assembly.stacks` is empty and no `assembly.gcode` is given: nothing to assemble")
    a["layer_shape"] = _int_list("assembly", "layer_shape", a["layer_shape"], 2, 1)
    _choice("assembly", "axis", a["axis"], ("x", "y", "z"))
    _positive("assembly", "cell_size_um", a["cell_size_um"], allow_zero=True)
    if a["chunks"]:
        a["chunks"] = _int_list("assembly", "chunks", a["chunks"], 3, 1)
    if c["composite"]["factor"] < 1:
        raise ValueError(f"`composite.factor` must be >= 1 (1 = no downsampling), got composite.factor={c['composite']['factor']!r}")
    _choice("composite", "route", c["composite"]["route"], COMPOSITE_ROUTES)
    if c["composite"]["route"] == "fibres" and a["gcode"]:
        raise ValueError("`composite.route`='fibres' cannot take voids: a G-code layout (`assembly.gcode`) has air "
                         "cells, and composite voxels of fibre, matrix and void need a three-phase law the fibre "
                         "route does not have; set composite.route = \"voxels\" for G-code layouts")
    for label, material in c["materials"].items():
        if not label.isdigit() or int(label) > 255:
            raise ValueError(f"`materials` keys must be phase labels 0..255, got {label!r}")
        if not isinstance(material, (str, Mapping)):
            raise TypeError(f"`materials.{label}` must be a library name or a table, got {material!r}")
    _materials(c)
    _memory(c)
    sim = c["simulation"]
    _positive("simulation", "tol", sim["tol"])
    if sim["max_iter"] < 1:
        raise ValueError(f"`simulation.max_iter` must be >= 1, got simulation.max_iter={sim['max_iter']!r}")
    _choice("simulation", "rose_plane", sim["rose_plane"], ("xy", "yz", "xz"))
    if sim["rose_n"] < 8:
        raise ValueError(f"`simulation.rose_n` must be >= 8, got simulation.rose_n={sim['rose_n']!r}")
    ranks = sim["mpi_ranks"]
    if ranks < 1:  # an integer by now (the defaults' types are checked above)
        raise ValueError(f"`simulation.mpi_ranks` must be an integer >= 1, got simulation.mpi_ranks={ranks!r}")
    if ranks > 1 and c["run"]["device"] == "cuda":
        raise ValueError(f"`simulation.mpi_ranks`={ranks} runs the CPU solver on every rank, but `run.device` is "
                         "'cuda': set run.device to 'cpu' or 'auto', or simulation.mpi_ranks to 1")


def load_config(source: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The complete, checked configuration from a TOML file, a mapping, or None (all defaults).

    Relative paths in the file (``input.scan``, ``input.*``, ``assembly.gcode``,
    ``segmentation.annotations``, ``run.output``) are taken relative to the file's folder.
    """
    base: Path | None = None
    if source is None:
        user: Mapping[str, Any] = {}
    elif isinstance(source, Mapping):
        user = source
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"configuration file not found: {path}")
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path} is not valid TOML: {exc}") from None
        base = path.resolve().parent
    config = _merge(user)
    _validate(config)
    if base is not None:
        for section, key in (("input", "scan"), ("assembly", "gcode"), ("segmentation", "annotations"), ("run", "output")):
            value = config[section][key]
            if value and value not in ("builtin", "auto", "simulated") and not Path(value).is_absolute():
                config[section][key] = str(base / value)
    if not config["run"]["output"]:
        config["run"]["output"] = str(Path("runs") / config["run"]["name"])
    return config


def dumps(config: Mapping[str, Mapping[str, Any]]) -> str:
    """The configuration as TOML text (for the run folder's config.toml)."""
    lines: list[str] = []
    for section, values in config.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").isalnum() and not key.isdigit() else f'"{key}"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
