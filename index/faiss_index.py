"""FAISS vectors keyed by chunk rowid: exact while small, IVF once large.

Below `AnnOptions.threshold` vectors the index is an `IndexIDMap2` over a flat inner-product
index (exact). When an `add` takes it to the threshold, it rebuilds itself as an
`IndexIVFFlat` (inner product, the chunk rowids as its own ids): k-means cells over the
vectors, and a search scans only the `nprobe` cells whose centroids are nearest the question.
Vectors are stored whole, so scores are exact inner products; only which vectors are looked at
is approximate. HNSW was tried first and reached recall@10 0.86 at 1M: the benchmark's
vectors come in clusters of ~670 near-copies, where a graph's beam stalls; IVF cells are not
troubled by them (0.98 at nprobe 16 on the same vectors).

Design points (numbers measured at 1M 384-dimension vectors on the 2-core box, see README):

- Cells: `nlist = 4 * sqrt(n)` for the `n` vectors present when the index is trained (3,578 at
  800k), at most `max_lists`, and at most n / 8 so that a tiny forced index still trains.
- Training: spherical k-means (FAISS sets it for inner product), 10 iterations, on a random
  sample of `points_per_list` (16) live vectors per cell: about 20 s for 3,578 cells. Sixteen
  points per cell gave the same recall as forty at 3x less training time.
- Growth: the cells are trained again, and every vector reassigned, once the index holds
  `retrain_growth` (4x) the vectors it was trained on (that size is read back from nlist, so
  nothing beyond the index needs saving). At the default threshold that is once, at 800k; the
  `add` that crosses it takes about a minute.
- Search: `nprobe` cells (default 32: recall@10 0.99 at 1M, p50 about 2 ms).
- Filters: one allowing at most `exact_filter_limit` ids probes every cell with an `IDSelector`,
  which scores only the allowed ids: exact. A wider one probes nprobe / share cells (at most
  all), since only the allowed share of each cell can enter the results. The selector is a
  bitmap of the allowed ids (a hash set of 300k ids took longer to build than the search).
- Deletes: IVF removes ids from its cells for real (a scan of the cell lists), so there are no
  tombstones; below half the threshold the index goes back to exact.
- Persistence: `faiss.write_index` to a temporary file, then a rename. An index saved by the
  HNSW version (an `IndexIDMap2` over `IndexHNSWFlat`, with a `.deleted.npy` of tombstones
  beside it) is rebuilt on load, as flat or IVF by its live size; the next save removes the
  tombstone file.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from kenning.config import ANN_THRESHOLD, IVF_NPROBE

# FAISS's OpenMP threads spin while they wait for work (libgomp's default), taking the cores
# from SQLite, ONNX Runtime and Python on a busy machine: QMSum val retrieval p50 20 -> 12 ms,
# p99 50-146 -> 27-51 ms with them asleep instead (load 5-9, side by side). libgomp reads the
# policy once, when FAISS loads it; the environment is then left as it was, so child processes
# (the benchmark's baseline pipeline) decide for themselves. A policy set by the user stays.
_WAIT_POLICY = os.environ.get("OMP_WAIT_POLICY")
os.environ["OMP_WAIT_POLICY"] = _WAIT_POLICY or "PASSIVE"
import faiss  # noqa: E402
from faiss.contrib.inspect_tools import get_invlist  # noqa: E402

if _WAIT_POLICY is None:
    del os.environ["OMP_WAIT_POLICY"]

IndexKind = Literal["flat", "ivf"]
Ranked = list[tuple[int, float]]  # (id, inner product), best first
BITMAP_IDS = 1 << 25  # filters over ids below this are bitmaps (at most 4 MB), above: hash sets
Part = tuple[np.ndarray, np.ndarray]  # (ids, vectors)


@dataclass(frozen=True)
class AnnOptions:
    """When and how the index turns approximate.

    Attributes:
        mode: "auto" switches to IVF at `threshold` vectors; "flat" and "ivf" force one (a
            forced IVF index is flat while empty).
        threshold: vectors at which "auto" switches to IVF (and below half of which a removal
            switches back to exact).
        nprobe: cells scanned per search (recall against speed).
        lists_per_sqrt: cells per square root of the vectors trained on.
        max_lists: most cells.
        points_per_list: training sample per cell.
        retrain_growth: growth, relative to the vectors trained on, that trains the cells again.
        exact_filter_limit: filtered searches allowing at most this many ids are exact.
    """

    mode: Literal["auto", "flat", "ivf"] = "auto"
    threshold: int = ANN_THRESHOLD
    nprobe: int = IVF_NPROBE
    lists_per_sqrt: float = 4.0
    max_lists: int = 16_384
    points_per_list: int = 16
    retrain_growth: float = 4.0
    exact_filter_limit: int = 50_000

    def kind_for(self, size: int) -> IndexKind:
        """The index kind for this many vectors."""
        if self.mode == "flat" or size == 0:
            return "flat"
        if self.mode == "ivf":
            return "ivf"
        return "ivf" if size >= self.threshold else "flat"

    def nlist_for(self, size: int) -> int:
        """Cells for an index trained on `size` vectors."""
        return max(1, min(round(self.lists_per_sqrt * math.sqrt(size)), size // 8,
                          self.max_lists))  # fmt: skip

    def size_for(self, nlist: int) -> int:
        """About the fewest vectors that get `nlist` cells: the size an index was trained at."""
        return max(math.ceil(((nlist - 0.5) / self.lists_per_sqrt) ** 2), 8 * nlist)


def tombstones_path(path: Path) -> Path:
    """Where the HNSW version kept removed ids, beside the index file (read, then removed)."""
    return path.with_name(path.name + ".deleted.npy")


class FaissIndex:
    """Inner-product search over unit vectors keyed by int64 ids; see the module docstring."""

    def __init__(
        self, dimension: int, options: AnnOptions | None = None, index: faiss.Index | None = None
    ) -> None:
        self.dimension = dimension
        self.options = options or AnnOptions()
        self.index = index if index is not None else self._flat()

    # ---- construction ----------------------------------------------------------------------

    def _flat(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))

    def _build(self, kind: IndexKind, parts: list[Part]) -> None:
        """Replace the index by a new one of `kind` holding `parts` (trained on them for IVF)."""
        size = sum(len(ids) for ids, _ in parts)
        if kind == "flat":
            index = self._flat()
        else:
            nlist = self.options.nlist_for(size)
            index = faiss.IndexIVFFlat(
                faiss.IndexFlatIP(self.dimension), self.dimension, nlist,
                faiss.METRIC_INNER_PRODUCT,
            )  # fmt: skip
            index.cp.niter = 10
            index.cp.max_points_per_centroid = self.options.points_per_list
            index.cp.min_points_per_centroid = 1  # a small sample is deliberate: no warning
            index.train(_sample(parts, nlist * self.options.points_per_list, seed=size))
        self.index = index
        for ids, vectors in parts:
            if len(ids):
                index.add_with_ids(vectors, ids)

    @property
    def kind(self) -> IndexKind:
        """"flat" (exact) or "ivf" (approximate)."""
        return "ivf" if isinstance(self.index, faiss.IndexIVF) else "flat"

    @property
    def nlist(self) -> int:
        """Cells of the IVF index (0 while flat)."""
        return int(self.index.nlist) if self.kind == "ivf" else 0

    @classmethod
    def load(cls, path: Path, dimension: int, options: AnnOptions | None = None) -> FaissIndex:
        """Read an index from disk (one saved by the HNSW version is rebuilt)."""
        index = faiss.read_index(str(path))  # already of its own class: IVF, or an id map
        if index.d != dimension:
            raise ValueError(f"{path}: vectors of dimension {index.d}, expected {dimension}")
        loaded = cls(dimension, options, index)
        if isinstance(index, faiss.IndexIDMap2) and isinstance(
            faiss.downcast_index(index.index), faiss.IndexHNSW
        ):
            live = _hnsw_live(index, tombstones_path(path))
            loaded._build(loaded.options.kind_for(len(live[0])), [live])
        elif loaded.options.mode != "auto" and loaded.kind != loaded.options.kind_for(len(loaded)):
            loaded._build(loaded.options.kind_for(len(loaded)), [loaded._live()])  # setting changed
        return loaded

    def _live(self) -> Part:
        """Copies of every stored (ids, vectors)."""
        if self.kind == "flat":
            ids = faiss.vector_to_array(self.index.id_map)
            flat = faiss.downcast_index(self.index.index)
            vectors = faiss.rev_swig_ptr(flat.get_xb(), len(ids) * self.dimension)
            return ids.copy(), np.array(vectors).reshape(len(ids), self.dimension)
        id_parts, vector_parts = [], []
        for cell in range(self.index.nlist):
            ids, codes = get_invlist(self.index.invlists, cell)
            id_parts.append(ids)
            vector_parts.append(codes.view(np.float32).reshape(len(ids), self.dimension))
        return np.concatenate(id_parts), np.concatenate(vector_parts)

    # ---- writes ----------------------------------------------------------------------------

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under the given ids (switching to IVF, or retraining it, by size)."""
        if not len(ids):
            return
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        size = len(self) + len(ids)
        target = self.options.kind_for(size)
        if target == "ivf" and (self.kind == "flat" or self._outgrown(size)):
            live = self._live()
            self.index = self._flat()  # frees the old index before the new one fills
            self._build("ivf", [live, (ids, vectors)])
            return
        self.index.add_with_ids(vectors, ids)

    def _outgrown(self, size: int) -> bool:
        """Whether `size` vectors are `retrain_growth` times those the cells were trained on."""
        trained = self.options.size_for(self.nlist)
        return self.options.nlist_for(size) > self.nlist and size >= (
            self.options.retrain_growth * trained
        )

    def remove(self, ids: np.ndarray) -> None:
        """Remove the vectors with these ids (an IVF index going back to exact when small)."""
        if not len(ids):
            return
        self.index.remove_ids(np.asarray(ids, dtype=np.int64))
        if self.kind == "ivf" and self.options.mode == "auto":
            if len(self) < self.options.threshold // 2:
                self._build("flat", [self._live()])

    # ---- search ----------------------------------------------------------------------------

    def search(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The k nearest ids by inner product, optionally only among `allowed` ids."""
        if len(self) == 0 or k <= 0:
            return []
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        selector, _bits = None, None  # SWIG objects do not own what they point to: keep both
        if allowed is not None:
            if len(allowed) == 0:
                return []
            selector, _bits = _selector(np.asarray(allowed, dtype=np.int64))
        if self.kind == "flat":
            params = None if selector is None else faiss.SearchParameters(sel=selector)
            return self._run(query, k, params)
        nprobe = self.options.nprobe
        if allowed is not None:
            if len(allowed) <= self.options.exact_filter_limit:
                nprobe = self.index.nlist  # every cell, scoring only the allowed: exact
            else:
                share = len(allowed) / len(self)
                nprobe = math.ceil(nprobe / min(share, 1.0))
        params = faiss.SearchParametersIVF(nprobe=min(max(nprobe, 1), self.index.nlist))
        if selector is not None:
            params.sel = selector
        return self._run(query, k, params)

    def _run(self, query: np.ndarray, k: int, params: faiss.SearchParameters | None) -> Ranked:
        scores, ids = self.index.search(query, min(k, len(self)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    # ---- size and persistence --------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def memory_bytes(self) -> int:
        """Bytes the index takes in memory: the vectors, their ids and the IVF centroids."""
        per_vector = self.dimension * 4 + 8  # float32 vector and int64 id
        centroids = self.nlist * self.dimension * 4
        return len(self) * per_vector + centroids

    def save(self, path: Path) -> None:
        """Write to a temporary file, then rename it over the old one: never half-written."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        faiss.write_index(self.index, str(tmp))
        _fsync(tmp)
        os.replace(tmp, path)
        tombstones_path(path).unlink(missing_ok=True)  # the HNSW version's, now rebuilt away


def _selector(allowed: np.ndarray) -> tuple[faiss.IDSelector, np.ndarray | None]:
    """A selector of the allowed ids, and the bitmap it reads (None for a hash set).

    A bitmap over the id range is built in about a millisecond for 300k ids, where
    `IDSelectorBatch` builds a hash set in 130 ms; ids too large for a bitmap get the hash set.
    """
    top = int(allowed.max())
    if int(allowed.min()) < 0 or top >= BITMAP_IDS:
        return faiss.IDSelectorBatch(allowed), None
    mask = np.zeros(top + 1, dtype=bool)
    mask[allowed] = True
    bits = np.packbits(mask, bitorder="little")
    return faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits)), bits


def _sample(parts: list[Part], count: int, seed: int) -> np.ndarray:
    """Up to `count` vectors drawn at random from all parts (the training set of the cells)."""
    sizes = [len(ids) for ids, _ in parts]
    total = sum(sizes)
    if total <= count:
        return np.concatenate([vectors for _, vectors in parts])
    chosen = np.sort(np.random.default_rng(seed).choice(total, count, replace=False))
    picked, offset = [], 0
    for (_, vectors), size in zip(parts, sizes, strict=True):
        inside = chosen[(chosen >= offset) & (chosen < offset + size)] - offset
        picked.append(vectors[inside])
        offset += size
    return np.concatenate(picked)


def _hnsw_live(index: faiss.IndexIDMap2, tombstones: Path) -> Part:
    """(ids, vectors) of an HNSW index saved by the previous version, its tombstones left out."""
    ids = faiss.vector_to_array(index.id_map)
    storage = faiss.downcast_index(faiss.downcast_index(index.index).storage)
    dimension = index.d
    vectors = np.array(faiss.rev_swig_ptr(storage.get_xb(), len(ids) * dimension))
    vectors = vectors.reshape(len(ids), dimension)
    if tombstones.exists():
        keep = ~np.isin(ids, np.load(tombstones))
        ids, vectors = ids[keep], vectors[keep]
    return ids.copy(), np.ascontiguousarray(vectors)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
