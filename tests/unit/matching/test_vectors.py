"""VectorIndex: exact below the threshold, IVF above, both persistable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from broker.matching import VectorIndex
from mocks.population import FACE
from mocks.population.biometrics import recapture, vectors


@pytest.fixture(scope="module")
def faces() -> np.ndarray:
    return vectors(FACE, seed=1, start=0, stop=6_000)


def test_vectors_are_addressable_per_person(faces: np.ndarray) -> None:
    assert faces.dtype == np.float32
    np.testing.assert_allclose(vectors(FACE, 1, 4321, 4322)[0], faces[4321], rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(faces, axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("threshold", [10_000, 1_000])
def test_second_capture_ranks_first(faces: np.ndarray, threshold: int, tmp_path: Path) -> None:
    index = VectorIndex.build(faces, exact_threshold=threshold)
    assert index.exact == (threshold > len(faces))
    rng = np.random.default_rng(2)
    truth = rng.choice(len(faces), size=50, replace=False)
    probes = recapture(faces[truth], rng)
    found = index.search_batch(probes.astype(np.float64), k=5)
    assert sum(r[0][0] == t for r, t in zip(found, truth, strict=True)) >= 49
    position, similarity = index.search(faces[7], k=1)[0]
    assert position == 7 and similarity == pytest.approx(1.0, abs=0.02)

    path = tmp_path / "faces.faiss"
    index.save(path)
    loaded = VectorIndex.load(path)
    assert loaded.nprobe == index.nprobe
    assert loaded.search(probes[0], 3) == index.search(probes[0], 3)
