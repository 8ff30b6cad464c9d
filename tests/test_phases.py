"""Phase counts and volume fractions against numpy, across threads and backends."""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt


def test_counts_match_bincount(rng: np.random.Generator, device: str) -> None:
    labels = rng.integers(0, 3, size=(37, 41, 29), dtype=np.uint8)
    labels[0, 0, 0] = 255
    expected = np.bincount(labels.ravel(), minlength=256)
    counts = vt.phase_counts(labels, device=device)
    assert counts == {k: int(v) for k, v in enumerate(expected) if v}


def test_fractions_sum_to_one(rng: np.random.Generator, device: str) -> None:
    labels = (rng.random((20, 20, 20)) < 0.1).astype(np.uint8)
    fractions = vt.phase_fractions(labels, device=device)
    assert set(fractions) == {0, 1}
    assert fractions[1] == pytest.approx(labels.mean(), abs=0)
    assert sum(fractions.values()) == pytest.approx(1.0, abs=1e-15)


def test_counts_do_not_depend_on_thread_count(rng: np.random.Generator) -> None:
    labels = rng.integers(0, 4, size=(64, 64, 64), dtype=np.uint8)
    before = vt.get_num_threads()
    try:
        results = []
        for n in (1, 2, 3):
            vt.set_num_threads(n)
            assert vt.get_num_threads() == n
            results.append(vt.phase_counts(labels, device="cpu"))
    finally:
        vt.set_num_threads(before)
    assert results[0] == results[1] == results[2]


def test_set_num_threads_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="`n`"):
        vt.set_num_threads(0)
    with pytest.raises(TypeError, match="`n`"):
        vt.set_num_threads(2.0)  # type: ignore[arg-type]


@pytest.mark.gpu
def test_cpu_and_cuda_agree_exactly(rng: np.random.Generator) -> None:
    if not vt.cuda_available():
        pytest.skip("CUDA backend not built or no GPU visible")
    labels = rng.integers(0, 256, size=(130, 70, 90), dtype=np.uint8)
    assert vt.phase_counts(labels, device="cpu") == vt.phase_counts(labels, device="cuda")
