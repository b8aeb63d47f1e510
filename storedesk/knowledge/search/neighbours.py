"""Semantic nearest neighbours: the translations whose stored embeddings are closest to the
query's, added to the text candidates (`semantic.rerank`), so that an answer worded
differently from the question, ranked past the text's `candidate_pool` or matching none
of its words, can still be ranked by meaning.

A brand's vectors are read into one float32 matrix per process on its first semantic
search (an idle process holds none) and compared with the query by one matrix-vector
product. The matrix holds every embedded translation of the brand, drafts and internal
articles included: which of the nearest ones the audience may see is asked of the
database on every search, so a cached matrix can never show a customer an internal
article or a draft, however stale it is. It is read again when embeddings change
(`vectors_changed`, a version in the shared cache) or after `RELOAD_SECONDS`.

Brute force costs about 1.5 KB of memory and a few hundred nanoseconds per vector: a brand
with more than `MAX_VECTORS` embedded translations gets no neighbours (text candidates
only, as before), and the matrices of a process hold at most that many vectors in total.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import connection

from storedesk.knowledge.enums import Audience
from storedesk.knowledge.search.bounded import AUDIENCE_SQL

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# 20,000 vectors of 384 float32: 31 MB per process and a product of about 3 ms.
MAX_VECTORS = 20_000
# The nearest rows taken before the audience filter: the matrix holds drafts and internal
# articles too, which the filter drops.
OVERFETCH = 4
VERSION_KEY = "knowledge:semantic-vectors-version"
# Without a shared cache (no Redis) another process's new embeddings show up after this.
RELOAD_SECONDS = 600


@dataclass(frozen=True)
class _Matrix:
    version: object
    loaded_at: float
    ids: npt.NDArray[np.int64]
    vectors: npt.NDArray[np.float32] | None  # None: more than MAX_VECTORS

    @property
    def size(self) -> int:
        return 0 if self.vectors is None else len(self.ids)


# brand id -> matrix, least recently searched first
_matrices: OrderedDict[int, _Matrix] = OrderedDict()


def vectors_changed() -> None:
    """Every process reads its matrices again on their next search (called after
    embeddings are stored; a deleted translation's vector only lingers: the audience
    filter drops it)."""
    cache.set(VERSION_KEY, time.time_ns(), None)


def clear() -> None:
    _matrices.clear()


def nearest(
    brand_id: int, vector: npt.NDArray[np.float32], *, model_id: str, audience: str, limit: int
) -> list[int]:
    """Up to `limit` translations of the brand that `audience` may see, nearest first."""
    import numpy as np

    matrix = _matrix(brand_id, model_id=model_id, dimensions=len(vector))
    if matrix.vectors is None or not len(matrix.ids) or limit <= 0:
        return []
    scores = matrix.vectors @ vector
    take = min(limit * OVERFETCH, len(scores))
    top = np.argpartition(-scores, take - 1)[:take]
    top = top[np.argsort(-scores[top], kind="stable")]
    ids = [int(pk) for pk in matrix.ids[top]]
    visible = _visible(brand_id, ids, audience)
    return [pk for pk in ids if pk in visible][:limit]


def _visible(brand_id: int, ids: list[int], audience: str) -> set[int]:
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id FROM knowledge_articletranslation t WHERE t.brand_id = %s "  # noqa: S608
            f"AND {AUDIENCE_SQL[Audience(audience)]} AND t.id IN ({marks})",
            [brand_id, *ids],
        )
        return {row[0] for row in cursor.fetchall()}


def _matrix(brand_id: int, *, model_id: str, dimensions: int) -> _Matrix:
    version = cache.get(VERSION_KEY)
    matrix = _matrices.get(brand_id)
    fresh = matrix is not None and matrix.version == version
    if matrix is None or not fresh or time.monotonic() - matrix.loaded_at > RELOAD_SECONDS:
        _matrices.pop(brand_id, None)
        matrix = _load(brand_id, model_id=model_id, dimensions=dimensions, version=version)
        while _matrices and sum(m.size for m in _matrices.values()) + matrix.size > MAX_VECTORS:
            _matrices.popitem(last=False)
        _matrices[brand_id] = matrix
    _matrices.move_to_end(brand_id)
    return matrix


_FROM = (
    "FROM knowledge_translationembedding e JOIN knowledge_articletranslation t "
    "ON t.id = e.translation_id WHERE t.brand_id = %s AND e.model_id = %s"
)


def _load(brand_id: int, *, model_id: str, dimensions: int, version: object) -> _Matrix:
    import numpy as np

    loaded_at = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {_FROM}", [brand_id, model_id])  # noqa: S608
        count = int(cursor.fetchone()[0])
        if count > MAX_VECTORS:
            return _Matrix(version, loaded_at, np.zeros(0, dtype=np.int64), None)
        cursor.execute(f"SELECT e.translation_id, e.vector {_FROM}", [brand_id, model_id])  # noqa: S608
        rows = cursor.fetchall()
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    vectors = np.frombuffer(b"".join(bytes(row[1]) for row in rows), dtype=np.float32)
    return _Matrix(version, loaded_at, ids, vectors.reshape(len(rows), dimensions))
