"""What a new user meets on the command line (issue 14): automatic strokes, class counts, readable
numbers, plain warnings, flag names in errors, distributions as people write them, documented accuracy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

import voxtwin as vt
from voxtwin.cli import main
from voxtwin.pipeline.builtin import builtin_scan
from voxtwin.pipeline.config import DEFAULTS
from voxtwin.segment import FIBRE, MATRIX, VOID
from voxtwin.segment.confident import UNKNOWN, confident_labels

ROOT = Path(__file__).resolve().parents[1]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's own exits (bad command line)
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def builtin() -> tuple[np.ndarray, np.ndarray]:
    """The example pipeline's built-in scan (96×96×64 at 2.5 µm, 2.35 % pores): grey values, truth."""
    grey, truth, _ = builtin_scan(DEFAULTS["builtin"], device="cpu")
    return grey, truth


# 1 --------------------------------------------------------------------------------------------
def test_automatic_strokes_are_right_and_cover_the_pores(builtin: tuple[np.ndarray, np.ndarray]) -> None:
    grey, truth = builtin
    pseudo = confident_labels(grey, classes=3)
    sure = pseudo != UNKNOWN
    assert np.mean(pseudo[sure] == truth[sure]) > 0.995  # what is brushed is right ...
    for phase in (MATRIX, FIBRE, VOID):  # ... and every phase, the small pore phase too, has a good share of it
        assert np.count_nonzero(pseudo == phase) > 0.2 * np.count_nonzero(truth == phase), phase
    # The grey-value estimate of each phase's fraction, the self-check of an automatic segmentation,
    # lets the true fractions pass.
    from voxtwin.pipeline.stages.segment import FRACTION_SLACK

    fractions = vt.segment.grey_fractions(grey, 3)
    true = np.bincount(truth.ravel(), minlength=3) / truth.size
    for phase in (MATRIX, FIBRE, VOID):
        assert abs(fractions[phase] - true[phase]) < FRACTION_SLACK[0] + FRACTION_SLACK[1] * fractions[phase]


def test_automatic_segmentation_self_check_warns_when_it_disagrees(builtin: tuple[np.ndarray, np.ndarray]) -> None:
    from voxtwin.pipeline.stages._base import Outcome
    from voxtwin.pipeline.stages.segment import _check_fractions

    grey, truth = builtin
    _check_fractions(grey, truth, 3, Outcome())  # the truth passes without a warning (warnings are errors here)
    bloated = truth.copy()
    bloated[ndimage.binary_dilation(truth == VOID, iterations=2)] = VOID  # pores two voxels too wide: void 0.08, as
    with pytest.warns(vt.SegmentationWarning,  # the U-Net made from the old automatic strokes
                      match=r"disagrees with the grey values \(void 0\.0[6-9]\d against 0\.02"):
        _check_fractions(grey, bloated, 3, Outcome())


# 2 --------------------------------------------------------------------------------------------
def test_segment_says_which_classes_it_assumed_and_warns_without_a_voxel_size(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    truth = np.full((32, 32, 32), VOID, dtype=np.uint8)
    truth[:, 8:14] = FIBRE
    truth[:, 20:26] = FIBRE  # fibres in air: a dry preform, two phases
    np.save(tmp_path / "preform.npy", vt.segment.synthetic_ct(truth, seed=1))
    code, out, err = run_cli(capsys, "segment", str(tmp_path / "preform.npy"), str(tmp_path / "a.npy"), "--quiet")
    assert code == 0, err
    assert "3 grey classes assumed" in err and "--classes 2 --phases 2 1" in err
    assert "voxel size of" in err and "--voxel-size" in err
    assert len(err.splitlines()) == 2
    code, out, err = run_cli(capsys, "segment", str(tmp_path / "preform.npy"), str(tmp_path / "b.tif"), "--quiet",
                             "--voxel-size", "2.5", "--classes", "2", "--phases", "2", "1")
    assert code == 0 and err == ""
    labels = vt.io.read(tmp_path / "b.tif", progress=False)
    assert np.mean(labels.data == truth) > 0.95  # air is air, not "matrix"
    assert labels.voxel_size == pytest.approx(2.5)


@pytest.mark.data
def test_segment_fiberform_says_what_two_phase_data_needs(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                         fiberform_path: Path) -> None:
    code, out, err = run_cli(capsys, "segment", str(fiberform_path), str(tmp_path / "ff.npy"), "--quiet")
    assert code == 0, err
    assert "a two-phase scan needs --classes 2" in err and "voxel size" in err


# 4 --------------------------------------------------------------------------------------------
def test_simulate_prints_the_cte_in_engineering_notation(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    labels = np.zeros((8, 8, 8), dtype=np.uint8)
    labels[:, 2:5, :] = 1  # a fibre layer in PLA
    np.save(tmp_path / "layers.npy", labels)
    code, out, err = run_cli(capsys, "simulate", str(tmp_path / "layers.npy"), "--voxel-size", "2", "--quiet",
                             "--tol", "1e-6")
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("effective CTE"))
    values = [float(v) for v in re.findall(r"-?\d+\.\d+e-\d+", line)]
    assert len(values) >= 3 and all(1e-6 < v < 1e-4 for v in values[:3])  # PLA 68e-6, basalt 8e-6 in between
    assert "0. " not in line


def test_engineering_notation() -> None:
    from voxtwin._console import engineering

    assert engineering([5.057e-05, -8.1806e-09, 0.0, 999.96e-6, 1.0, 12345.0]) == \
        "[50.6e-6, -8.18e-9, 0, 1.00e-3, 1.00, 12.3e3]"


def test_small_stresses_are_plotted_in_mpa() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = np.zeros((8, 8, 8), dtype=np.uint8)
    labels[2:5, 2:5, :] = 1  # a fibre along z: stresses vary within each phase
    mats = {0: vt.material_library()["pla"], 1: vt.material_library()["basalt_fibre"]}
    sol = vt.solve(labels, mats, stress=[0.0] * 6, delta_T=-25.0, progress=False)  # thermal stresses of a few MPa
    fig, axes = plt.subplots(1, 2)
    vt.analysis.plot_phase_histograms(sol, "stress", "xx", ax=axes[0])
    vt.analysis.plot_field_slice(sol, "stress", "xx", ax=axes[1])
    assert axes[0].get_xlabel() == "stress xx (MPa)"
    assert fig.axes[-1].get_ylabel() == "MPa"  # the colour bar
    plt.close(fig)


# 5, 6 -------------------------------------------------------------------------------------------
def test_warnings_are_printed_once_and_plainly(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    np.save(tmp_path / "scan.npy", vt.segment.synthetic_ct(np.zeros((16, 16, 16), np.uint8) + (np.arange(16) > 7)))
    code, out, err = run_cli(capsys, "segment", str(tmp_path / "scan.npy"), str(tmp_path / "l.npy"), "--quiet",
                             "--classes", "2")
    assert code == 0, err
    lines = err.splitlines()
    assert lines == ["warning: SegmentationWarning: the voxel size of " + str(tmp_path / "scan.npy")
                     + " is unknown (not in the file): the labels are written without one; pass --voxel-size (µm) "
                     "so that later steps measure in µm"]


def test_overwrite_error_names_the_cli_flag(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    np.save(tmp_path / "scan.npy", np.zeros((8, 8, 8), np.uint8))
    (tmp_path / "out.npy").write_bytes(b"")
    code, out, err = run_cli(capsys, "segment", str(tmp_path / "scan.npy"), str(tmp_path / "out.npy"))
    assert code == 1
    assert "pass --overwrite to replace it" in err and "overwrite=True" not in err


def test_a_wrong_flag_prints_the_subcommands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "simulate", "labels.npy", "--voxelsize", "2")
    assert code == 2
    assert err.startswith("usage: voxtwin simulate ") and "unrecognized arguments: --voxelsize 2" in err


# 7 --------------------------------------------------------------------------------------------
def test_normal_sizes_as_people_write_them(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = vt.FibreSpec(0.1, vt.Normal(15.0, 1.5), vt.Normal(100.0, 0.0), vt.orientation.Aligned((1, 0, 0), 15.0))
    assert spec.diameter.support[0] == 0.0  # truncated at 0 silently: 1e-23 of the mass lay below
    assert spec.diameter.moments() == pytest.approx((15.0, 1.5))
    assert np.all(spec.length.sample(5, np.random.default_rng(0)) == 100.0)  # std 0: a fixed value
    with pytest.warns(vt.DistributionWarning, match=r"0\.0228 of its probability at or below 0"):
        vt.FibreSpec(0.1, vt.Normal(2.0, 1.0), 10.0, vt.orientation.Isotropic())
    with pytest.raises(ValueError, match="must only take values > 0"):
        vt.FibreSpec(0.1, vt.Normal(-5.0, 0.0), 10.0, vt.orientation.Isotropic())
    with pytest.raises(ValueError, match="std"):
        vt.Normal(15.0, -1.0)
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    code, out, err = run_cli(capsys, "generate", "--spec", str(tmp_path / "spec.json"), "--shape", "32", "32", "32",
                             "--out", str(tmp_path / "b.npy"))
    assert code == 0, err
    assert json.loads(out)["fibres"] > 0 and "warning" not in err


# 8 --------------------------------------------------------------------------------------------
def test_modulus_rose_curves_have_their_own_line_styles() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    C = vt.Isotropic(3.0, 0.3).C
    ax = vt.analysis.plot_modulus_rose({"helicoidal": C, "quasi_isotropic": C * 1.001, "unidirectional": C * 1.2})
    assert len({line.get_linestyle() for line in ax.lines}) == 3
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


# 9 --------------------------------------------------------------------------------------------
def test_composite_voxel_accuracy_is_quoted_in_both_measures() -> None:
    readme = (ROOT / "README.md").read_text()
    part = readme[readme.index("### Composite voxels"):readme.index("Conventions: arrays")]
    assert "‖ΔC‖/‖C‖" in part and "worst diagonal entry" in part and "2.3 % (3.4 %)" in part
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    row = next(line for line in results.splitlines() if line.startswith("| composite voxels: C within 3 %"))
    assert "worst diagonal entry" in row and "(3.4 %)" in row
