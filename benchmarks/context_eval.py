"""Retrieval benchmark for ``/context``: BM25 alone vs BM25 + MiniLM fused by RRF.

Builds a fresh source library (temporary SQLite file) from the short articles in
``benchmarks/data/context_articles/*.txt`` (written for this benchmark; each gets its own domain, as
real publishers would), then asks every claim in ``claims.json`` whose right source(s) are known.

Reports, for each mode:
* MAP@5 and top-1 accuracy of the ranking (before the weak-match filter), claims with a known source;
* with the production filter (min score, caps): recall@6 (a right source is shown) and the share of
  unrelated claims (no right source in the library) that correctly get "No related items found".

Usage::

    python benchmarks/context_eval.py [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.sources import build_context_service  # noqa: E402
from bot.sources.ranking import RankConfig  # noqa: E402
from bot.storage.database import Database  # noqa: E402

DATA = REPO / "benchmarks" / "data" / "context_articles"


def average_precision(ranked: list[str], relevant: set[str], k: int = 5) -> float:
    hits, total = 0, 0.0
    for i, doc in enumerate(ranked[:k], start=1):
        if doc in relevant:
            hits += 1
            total += hits / i
    return total / min(len(relevant), k) if relevant else 0.0


def url_for(stem: str) -> str:
    return f"https://{stem}.example/article"


async def evaluate() -> dict[str, object]:
    claims = json.loads((DATA / "claims.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db")
        service = build_context_service(db, None, None)
        t0 = time.perf_counter()
        files = sorted(DATA.glob("*.txt"))
        for path in files:
            await service.add_file(path, url=url_for(path.stem))
        ingest_s = time.perf_counter() - t0
        stem_of = {url_for(p.stem): p.stem for p in files}
        production = service.search.rank_config
        unfiltered = RankConfig(max_items=5, max_per_domain=5, min_score=0.0, min_article_score=0.0)
        out: dict[str, object] = {
            "articles": len(files),
            "claims": len(claims),
            "claims_with_source": sum(1 for c in claims if c["relevant"]),
            "ingest_s": round(ingest_s, 2),
        }
        for mode, semantic in (("bm25", False), ("fusion", True)):
            aps, top1, recall, rejected, latencies = [], [], [], [], []
            for item in claims:
                relevant = set(item["relevant"])
                service.search.rank_config = unfiltered
                t = time.perf_counter()
                result = await service.context(item["claim"], pick=False, semantic=semantic)
                latencies.append(time.perf_counter() - t)
                ranked = [stem_of.get(s.url, s.url) for s in result.sources]
                service.search.rank_config = production
                shown = [
                    stem_of.get(s.url, s.url)
                    for s in (await service.context(item["claim"], pick=False, semantic=semantic)).sources
                ]
                if relevant:
                    aps.append(average_precision(ranked, relevant))
                    top1.append(1.0 if ranked and ranked[0] in relevant else 0.0)
                    recall.append(1.0 if relevant & set(shown) else 0.0)
                else:
                    rejected.append(1.0 if not shown else 0.0)
            latencies.sort()
            out[mode] = {
                "MAP@5": round(sum(aps) / len(aps), 3),
                "top1": round(sum(top1) / len(top1), 3),
                "filtered_recall@6": round(sum(recall) / len(recall), 3),
                "unrelated_rejected": round(sum(rejected) / max(len(rejected), 1), 3),
                "median_latency_ms": round(1000 * latencies[len(latencies) // 2], 1),
            }
        service.search.rank_config = replace(production)
        db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    report = asyncio.run(evaluate())
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{report['articles']} articles, {report['claims']} claims "
        f"({report['claims_with_source']} with a known source); ingest {report['ingest_s']} s"
    )
    print(f"{'mode':<8} {'MAP@5':>6} {'top-1':>6} {'recall@6':>9} {'unrelated→none':>15} {'p50 ms':>7}")
    for mode in ("bm25", "fusion"):
        r = report[mode]
        assert isinstance(r, dict)
        print(
            f"{mode:<8} {r['MAP@5']:>6.3f} {r['top1']:>6.3f} {r['filtered_recall@6']:>9.3f} "
            f"{r['unrelated_rejected']:>15.3f} {r['median_latency_ms']:>7.1f}"
        )


if __name__ == "__main__":
    main()
