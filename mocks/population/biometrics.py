"""Face embeddings and fingerprint templates as unit vectors, addressable per person.

Vectors come from a counter-based generator (Philox) so that person i's vector
is the same whether it is made alone or in a bulk run of a million, without
storing anything. Faces share a demographic component (one of a few dozen group
centroids), so impostor similarities are not all zero and an ANN index meets
clusters, as with real embeddings. A second capture is the enrolled vector plus
noise: cosine similarity about 0.65-0.85 with the first, as for a good matcher.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from broker.matching.vectors import as_unit_float32

F32 = npt.NDArray[np.float32]
_CHUNK = 65_536


@dataclass(frozen=True, slots=True)
class Modality:
    """How one kind of biometric vector is drawn."""

    name: str
    dim: int
    stream: int
    groups: int
    group_weight: float


FACE = Modality("face", 512, 1, 64, 0.45)
FINGERPRINT = Modality("fingerprint", 256, 2, 16, 0.3)


def _normals(seed: int, stream: int, start: int, count: int, dim: int) -> F32:
    """Standard normals for rows start..start+count, dim per row (Box-Muller on raw bits)."""
    generator = np.random.Philox(key=[seed, stream])
    per_row = dim // 2
    generator.advance(start * per_row // 4)
    raw = generator.random_raw(count * per_row)
    scale = np.float32(1.0 / 4294967296.0)
    u1 = ((raw >> np.uint64(32)).astype(np.float32) + np.float32(0.5)) * scale
    u2 = ((raw & np.uint64(0xFFFFFFFF)).astype(np.float32) + np.float32(0.5)) * scale
    radius = np.sqrt(np.float32(-2.0) * np.log(u1))
    angle = np.float32(2.0 * np.pi) * u2
    out = np.empty((count, dim), dtype=np.float32)
    out[:, :per_row] = (radius * np.cos(angle)).reshape(count, per_row)
    out[:, per_row:] = (radius * np.sin(angle)).reshape(count, per_row)
    return out


def vectors(modality: Modality, seed: int, start: int, stop: int) -> F32:
    """Enrolled vectors of persons start..stop-1, float32, unit length."""
    assert modality.dim % 8 == 0, "Philox alignment needs dim divisible by 8"
    centroids = as_unit_float32(
        _normals(seed, modality.stream + 100, 0, modality.groups, modality.dim)
    )
    out = np.empty((stop - start, modality.dim), dtype=np.float32)
    for lo in range(start, stop, _CHUNK):
        hi = min(lo + _CHUNK, stop)
        own = as_unit_float32(_normals(seed, modality.stream, lo, hi - lo, modality.dim))
        group = (np.arange(lo, hi, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(
            modality.groups
        )
        mixed = modality.group_weight * centroids[group.astype(np.int64)] + own
        out[lo - start : hi - start] = as_unit_float32(mixed.astype(np.float32))
    return out


def recapture(enrolled: F32, rng: np.random.Generator, low: float = 0.6, high: float = 1.15) -> F32:
    """A noisy second capture of each row: noise of norm in [low, high] (cosine ~0.85-0.65)."""
    rows = np.atleast_2d(enrolled)
    noise = as_unit_float32(rng.standard_normal(rows.shape, dtype=np.float32))
    level = rng.uniform(low, high, size=(len(rows), 1)).astype(np.float32)
    captured = as_unit_float32((rows + noise * level).astype(np.float32))
    return captured.reshape(enrolled.shape)
