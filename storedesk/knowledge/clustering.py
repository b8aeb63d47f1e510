"""Groups similar customer questions without a trained model.

Each text becomes a TF-IDF vector of its word stems (the same Snowball stems and jieba
segments the search index uses, search/analysis.py). Texts are taken in order and each
joins the cluster whose centroid is most similar by cosine, if that similarity reaches
`threshold`, else starts a new cluster ("leader" clustering; Hartigan, Clustering
Algorithms, 1975). Cosines are summed through an index from each term to the clusters
holding it, so a text costs the postings of its own words, not one pass per cluster.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from storedesk.knowledge.search.analysis import has_han, stem, words

# Chosen on StackFAQ dev paraphrases (tests/test_gaps.py, docs/subsystems/knowledge-deflection.md):
# 0.35 puts 75% of queries in clusters of two or more, 88% of them with their own question.
DEFAULT_THRESHOLD = 0.35

Vector = dict[str, float]


@dataclass(frozen=True)
class Document:
    text: str
    language: str


@dataclass
class _Cluster:
    members: list[int] = field(default_factory=list)
    total: dict[str, float] = field(default_factory=dict)  # sum of member vectors
    # |total|², kept up to date on add, so a comparison costs the text's terms only.
    norm_squared: float = 0.0

    def add(self, index: int, vector: Vector) -> None:
        self.members.append(index)
        for term, weight in vector.items():
            before = self.total.get(term, 0.0)
            self.total[term] = before + weight
            self.norm_squared += (before + weight) ** 2 - before**2

    def similarity(self, vector: Vector) -> float:
        """Cosine between `vector` (unit length) and the centroid."""
        if self.norm_squared <= 0:
            return 0.0
        dot = sum(weight * self.total.get(term, 0.0) for term, weight in vector.items())
        return dot / math.sqrt(self.norm_squared)


def terms(document: Document) -> Counter[str]:
    """Stems of the words that can carry meaning: no numbers, no one-letter words."""
    found: Counter[str] = Counter()
    for word in words(document.text):
        if word.isdigit() or (len(word) < 2 and not has_han(word)):
            continue
        found[stem(word, document.language)] += 1
    return found


def tfidf_vectors(documents: Sequence[Document]) -> list[Vector]:
    """Unit-length TF-IDF vectors with idf = ln(1 + N / df): a word in every text still
    counts a little, so two texts that share only common words can still be compared."""
    counts = [terms(d) for d in documents]
    df: Counter[str] = Counter()
    for count in counts:
        df.update(count.keys())
    n = len(documents)
    vectors = []
    for count in counts:
        raw = {t: tf * math.log(1 + n / df[t]) for t, tf in count.items()}
        norm = math.sqrt(sum(w * w for w in raw.values()))
        vectors.append({t: w / norm for t, w in raw.items()} if norm else {})
    return vectors


def _nearest(
    clusters: list[_Cluster], by_term: dict[str, list[int]], vector: Vector
) -> tuple[int | None, float]:
    """The most similar cluster and its cosine. Dot products are summed term by term over
    the clusters that hold each term, so a text costs the postings of its own words."""
    dots: defaultdict[int, float] = defaultdict(float)
    for term, weight in vector.items():
        for number in by_term.get(term, ()):
            dots[number] += weight * clusters[number].total[term]
    best, best_similarity = None, 0.0
    for number in sorted(dots):
        similarity = dots[number] / math.sqrt(clusters[number].norm_squared)
        if similarity > best_similarity:
            best, best_similarity = number, similarity
    return best, best_similarity


def cluster(vectors: Sequence[Vector], *, threshold: float = DEFAULT_THRESHOLD) -> list[list[int]]:
    """Indexes of `vectors` grouped; empty vectors are left out. Biggest cluster first."""
    clusters: list[_Cluster] = []
    by_term: dict[str, list[int]] = {}  # term -> clusters whose total holds it
    for index, vector in enumerate(vectors):
        if not vector:
            continue
        best, best_similarity = _nearest(clusters, by_term, vector)
        if best is None or best_similarity < threshold:
            best = len(clusters)
            clusters.append(_Cluster())
        for term in vector:
            if term not in clusters[best].total:
                by_term.setdefault(term, []).append(best)
        clusters[best].add(index, vector)
    ordered = sorted(clusters, key=lambda c: (-len(c.members), c.members[0]))
    return [c.members for c in ordered]


def most_central(vectors: Sequence[Vector], members: Sequence[int]) -> int:
    """The member closest to its cluster's centroid: the best single example of it."""
    centroid = _Cluster()
    for member in members:
        centroid.add(member, vectors[member])
    return max(members, key=lambda m: (centroid.similarity(vectors[m]), -m))
