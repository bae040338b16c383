"""`VectorIndex`: 1:N biometric search over unit vectors (face embeddings, fingerprints).

Below `exact_threshold` vectors a flat inner-product index answers exactly; above
it an inverted-file index with 8-bit scalar quantisation (faiss "IVF,SQ8")
scans only `nprobe` of its `nlist` cells: a quarter of the memory of float32 and
a few milliseconds per query at a million vectors. Its recall against brute force
is measured by the benchmark, not assumed.

Two traps this module closes: vectors must reach faiss as C-contiguous float32
(numpy makes float64 by default, and a float64 query against a float32 matrix in
numpy silently copies the whole matrix), and faiss switches to a BLAS path for
batches of at least `distance_compute_blas_threshold` queries (20), so a batch
goes to faiss in one call instead of a Python loop.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
EXACT_THRESHOLD = 200_000
_TRAIN_PER_CELL = 40


def as_unit_float32(vectors: npt.ArrayLike) -> F32:
    """C-contiguous float32 rows of unit length (cosine = inner product)."""
    rows = np.ascontiguousarray(np.atleast_2d(np.asarray(vectors, dtype=np.float32)))
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    result: F32 = np.ascontiguousarray(rows / np.maximum(norms, np.float32(1e-12)))
    return result


class VectorIndex:
    """Positions of enrolled vectors by cosine similarity; exact or IVF-SQ8."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def build(
        cls,
        vectors: npt.ArrayLike,
        exact_threshold: int = EXACT_THRESHOLD,
        nprobe: int | None = None,
        seed: int = 0,
    ) -> VectorIndex:
        """Index the rows of `vectors` (position = row number)."""
        rows = as_unit_float32(vectors)
        n, dim = rows.shape
        if n < exact_threshold:
            flat = faiss.IndexFlatIP(dim)
            flat.add(rows)
            return cls(flat)
        nlist = int(min(4096, max(64, 2 ** round(np.log2(np.sqrt(n))))))
        index = faiss.index_factory(dim, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(seed).choice(
            n, size=min(n, nlist * _TRAIN_PER_CELL), replace=False
        )
        index.train(rows[np.sort(sample)])
        for start in range(0, n, 100_000):
            index.add(rows[start : start + 100_000])
        built = cls(index)
        built.nprobe = nprobe if nprobe is not None else max(8, nlist // 32)
        return built

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def exact(self) -> bool:
        return isinstance(self._index, faiss.IndexFlat)

    @property
    def nprobe(self) -> int:
        return 0 if self.exact else int(faiss.extract_index_ivf(self._index).nprobe)

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if not self.exact:
            faiss.extract_index_ivf(self._index).nprobe = value

    def search(self, vector: npt.ArrayLike, k: int = 10) -> list[tuple[int, float]]:
        """The k most similar enrolled vectors: (position, cosine similarity), best first."""
        return self.search_batch(vector, k)[0]

    def search_batch(self, vectors: npt.ArrayLike, k: int = 10) -> list[list[tuple[int, float]]]:
        similarity, positions = self.search_arrays(vectors, k)
        return [
            [(int(p), float(s)) for p, s in zip(row_p, row_s, strict=True) if p >= 0]
            for row_p, row_s in zip(positions, similarity, strict=True)
        ]

    def search_arrays(self, vectors: npt.ArrayLike, k: int) -> tuple[F32, npt.NDArray[np.int64]]:
        """(similarities, positions), each (queries x k); position -1 pads."""
        similarity, positions = self._index.search(as_unit_float32(vectors), k)
        return similarity, positions

    def save(self, path: str | Path) -> None:
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: str | Path, mmap: bool = False) -> VectorIndex:
        """Read a saved index; `mmap` maps it instead of reading it (fast restart)."""
        flags = faiss.IO_FLAG_MMAP if mmap else 0
        return cls(faiss.read_index(str(path), flags))
