"""Ranking and usefulness weights: small typed configs the evaluation can tune.

`bench/kb_eval.py` passes its own `RankingWeights` to `search_articles`; the defaults
below are what the help centre and the suggestions use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RankingWeights:
    # Weight of the title (SQLite: its own bm25; PG: setweight A). None: the backend's
    # TITLE_WEIGHT; the scales differ, PostgreSQL's title shares the body's normalisation.
    title_weight: float | None = None
    body_weight: float = 1.0  # weight of the body (SQLite: its own bm25; PG: setweight B)
    text: float = 1.0  # normalised text relevance, 0..1
    usefulness: float = 0.15  # normalised usefulness, 0..1
    usefulness_scale: float = 20.0  # decayed score at which usefulness counts half
    language_match: float = 0.3  # hit in the query's (detected) language
    candidate_pool: int = 50  # rows fetched by text relevance before blending
    # Cosine similarity of query and article embeddings (search/semantic.py), blended into
    # the text relevance of the candidates; 0 turns it off. Used only with the extra.
    # 12: the weight most held-out folds chose on StackFAQ and SweFAQ, both backends, from
    # a grid of 6, 9, 12 and 18 (the grid moved up each time the folds chose its top edge;
    # with title vectors and neighbours in the candidates the similarity earns more weight;
    # bench/RESULTS.md).
    semantic: float = 12.0
    # Nearest translations by embedding added to the text candidates (search/neighbours.py).
    semantic_neighbours: int = 20
    typo_max_corrections: int = 2  # vocabulary words tried per unknown query word
    typo_min_similarity: float = 0.32  # pg_trgm similarity a correction needs (pg_trgm % is 0.3)


@dataclass(frozen=True)
class UsefulnessWeights:
    view: float = 1.0
    helpful: float = 5.0
    unhelpful: float = -3.0
    resolution: float = 8.0  # a conversation ended (or a request was dropped) after it was shown
    half_life_days: float = 30.0


DEFAULT_WEIGHTS = RankingWeights()
USEFULNESS_WEIGHTS = UsefulnessWeights()
