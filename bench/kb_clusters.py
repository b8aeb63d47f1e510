"""Question clusters of the content-gaps page: quality and speed on labelled real questions.

StackFAQ's dev queries are 625 paraphrases, five for each of 125 questions: a good
clustering puts paraphrases together (coverage: share of queries in a cluster of two or
more; purity: share of those whose cluster's majority asks the same question). SweFAQ's 110
dev queries ask 110 different questions in Swedish: every query put in a cluster there is a
false merge. Speed: `knowledge.clustering.cluster` (cosines summed through a term ->
clusters index) against the same leader clustering comparing the text with every cluster,
the baseline, measured in the same run; both must give the same clusters.

    python bench/kb_clusters.py [--write]   # --write updates bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "faq"
THRESHOLDS = (0.25, 0.30, 0.35, 0.40, 0.45)
REPEATS = 5

Clusterer = Callable[..., list[list[int]]]


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storedesk.settings")
    import django

    django.setup()


def _load(name: str) -> list[dict[str, str]]:
    with (DATA / name).open() as lines:
        return [json.loads(line) for line in lines]


def _all_pairs(vectors: Sequence[dict[str, float]], *, threshold: float) -> list[list[int]]:
    """The baseline: the same leader clustering, comparing each text with every cluster."""
    from storedesk.knowledge.clustering import _Cluster

    clusters: list[_Cluster] = []
    for index, vector in enumerate(vectors):
        if not vector:
            continue
        scored = [(c.similarity(vector), n) for n, c in enumerate(clusters)]
        # The lowest-numbered cluster wins a tie, as in cluster().
        best_similarity, best = max(scored, key=lambda s: (s[0], -s[1]), default=(0.0, -1))
        if best < 0 or best_similarity < threshold:
            best = len(clusters)
            clusters.append(_Cluster())
        clusters[best].add(index, vector)
    return sorted((c.members for c in clusters), key=lambda m: (-len(m), m[0]))


def _quality(groups: list[list[int]], labels: Sequence[str]) -> tuple[float, float, int]:
    multi = [g for g in groups if len(g) > 1]
    clustered = sum(len(g) for g in multi)
    majority = sum(Counter(labels[i] for i in g).most_common(1)[0][1] for g in multi)
    purity = majority / clustered if clustered else 1.0
    return clustered / len(labels), purity, len(multi)


def _median_ms(run: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args(argv)
    _setup()
    from storedesk.knowledge.clustering import DEFAULT_THRESHOLD, Document, cluster, tfidf_vectors

    stack = _load("stackfaq_queries_dev.jsonl")
    swe = _load("swefaq_dev_queries.jsonl")
    stack_vectors = tfidf_vectors([Document(q["query"], "en") for q in stack])
    swe_vectors = tfidf_vectors([Document(q["query"], "sv") for q in swe])
    rows = []
    for threshold in THRESHOLDS:
        coverage, purity, count = _quality(cluster(stack_vectors, threshold=threshold),
                                           [q["relevant"] for q in stack])
        false_merges, _purity, _count = _quality(cluster(swe_vectors, threshold=threshold),
                                                 [q["relevant"] for q in swe])
        mark = " (default)" if threshold == DEFAULT_THRESHOLD else ""
        rows.append(f"| {threshold:.2f}{mark} | {count} | {coverage:.1%} | {purity:.1%} "
                    f"| {false_merges:.1%} |")
    fast = _median_ms(lambda: cluster(stack_vectors))
    slow = _median_ms(lambda: _all_pairs(stack_vectors, threshold=DEFAULT_THRESHOLD))
    assert cluster(stack_vectors) == _all_pairs(stack_vectors, threshold=DEFAULT_THRESHOLD)
    vectorise = _median_ms(lambda: tfidf_vectors([Document(q["query"], "en") for q in stack]))
    section = "\n".join([
        "<!-- bench/kb_clusters.py: begin -->",
        "## Content gaps: question clusters (`bench/kb_clusters.py`)",
        "",
        "StackFAQ dev queries (625 = 125 questions x 5 paraphrases, English): coverage = share",
        "of queries in a cluster of two or more, purity = share of those whose cluster's",
        "majority asks the same question. SweFAQ dev queries (110 different questions,",
        "Swedish): every clustered query is a false merge.",
        "",
        "- Command: `python bench/kb_clusters.py --write`",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} CPUs, "
        f"{platform.machine()}, Python {platform.python_version()}",
        "",
        "| threshold | clusters | coverage | purity | SweFAQ false merges |",
        "|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"Speed on the 625 StackFAQ queries (median of {REPEATS}; same clusters both ways):",
        "",
        "| step | ms | / baseline |",
        "|---|---:|---:|",
        f"| baseline: leader clustering comparing every cluster | {slow:.0f} | 1.0x |",
        f"| `cluster()`: cosines through the term -> clusters index | {fast:.0f} "
        f"| {fast / slow:.2f}x |",
        f"| `tfidf_vectors()` (stems, idf) | {vectorise:.0f} | {vectorise / slow:.2f}x |",
        "<!-- bench/kb_clusters.py: end -->",
        "",
    ])
    print(section)  # noqa: T201  (a benchmark reports on stdout)
    if args.write:
        sys.path.insert(0, str(ROOT / "bench"))
        from harness import results_write

        results_write(ROOT / "bench" / "RESULTS.md", section, "bench/kb_clusters.py")


if __name__ == "__main__":
    main(sys.argv[1:])
