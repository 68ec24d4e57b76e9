"""``manage.py bench_search``: the search benchmark (``make bench-search``). Figures, not a test.

Builds a SYNTHETIC 100,000-patent corpus grown from the real records (``search.benchmark``) into a
temporary embedded index and a temporary SQLite database, runs the fixed query set and reports p50/p95
for the embedded engine through the interface, the Django ORM ``icontains`` baseline and the raw FTS5
MATCH floor, plus build time and index size. Writes the "Search" section of docs/benchmarks.md.
"""
from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections
from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from tqdm import tqdm

from marketplace.throwaway import throwaway_side_effects
from search.backends.embedded import Backend
from search.benchmark import (
    machine_description,
    percentile,
    query_set,
    synthetic_corpus,
    timed,
)
from search.interface import SearchFilters, SearchQuery

BASELINE_ALIAS = "bench_search_baseline"
SECTION_TITLE = "## Search"


class Command(BaseCommand):
    help = "Benchmark the search engines on a synthetic 100,000-patent corpus and write docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=15, help="runs of each query on the engine and floor")
        parser.add_argument("--baseline-repeat", type=int, default=2)
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--keep", action="store_true", help="keep the temporary index and database")

    def handle(self, *args, size, repeat, baseline_repeat, output, keep, **options):
        data_dir = Path(settings.SHARED_DATA_DIR)
        if not (data_dir / "cn_patents_title_ipc.csv").exists():
            self.stderr.write(f"the real records are missing: {data_dir}/cn_patents_title_ipc.csv")
            return
        workdir = Path(tempfile.mkdtemp(prefix="bench-search-"))
        self.stdout.write(f"SYNTHETIC corpus of {size:,} patents grown from the real records, in {workdir}")
        try:
            with throwaway_side_effects(index_path=workdir / "search-index.sqlite3"):
                report = self._run(data_dir, workdir, size, repeat, baseline_repeat)
        finally:
            if BASELINE_ALIAS in connections.databases:
                connections[BASELINE_ALIAS].close()
            if not keep:
                shutil.rmtree(workdir, ignore_errors=True)
        self.stdout.write(report)
        _write_section(Path(output), report)
        self.stdout.write(self.style.SUCCESS(f"written to {output}"))

    # ------------------------------------------------------------------------------------------------
    def _run(self, data_dir: Path, workdir: Path, size: int, repeat: int, baseline_repeat: int) -> str:
        documents = list(tqdm(synthetic_corpus(data_dir, size), total=size, unit="doc", desc="growing corpus"))

        index_path = workdir / "search-index.sqlite3"
        backend = Backend(index_path)
        started = time.perf_counter()
        with tqdm(total=size, unit="doc", desc="embedded index") as bar:
            backend.rebuild(documents, progress=bar.update)
        build_seconds = time.perf_counter() - started
        index_bytes = sum(p.stat().st_size for p in workdir.glob("search-index.sqlite3*"))

        started = time.perf_counter()
        self._build_baseline(workdir / "baseline.sqlite3", documents)
        baseline_build = time.perf_counter() - started

        queries = query_set()
        started = time.perf_counter()
        backend.search(SearchQuery(text="预热"))  # loads the facet arrays once per process
        load_ms = (time.perf_counter() - started) * 1000

        engine, plain, floor, baseline = {}, {}, {}, {}
        totals = {}
        for group, query in tqdm(queries, desc="queries", unit="query"):
            key = (group, query.text, query.filters)
            totals[key] = backend.search(query).total
            engine[key] = timed(partial(backend.search, query), repeat)
            light = SearchQuery(text=query.text, filters=query.filters, facets=False, highlight=False)
            plain[key] = timed(partial(backend.search, light), repeat)
            floor[key] = timed(partial(backend.raw_match, query.text, 20), repeat)
            baseline[key] = timed(partial(_baseline_search, query), baseline_repeat)

        # what matching does: more-like-this for a demand's text, and a search restricted to ids
        sample = documents[:: max(1, size // 40)][:40]
        mlt = []
        for doc in tqdm(sample, desc="more_like_this", unit="query"):
            text = f"{doc.title} {doc.abstract}"
            mlt += timed(partial(backend.more_like_this, text=text, limit=50), 3)
        ids = tuple(d.id for d in documents[: min(size, 2000)])
        restricted = timed(
            lambda: backend.search(SearchQuery(text="装置 控制", filters=SearchFilters(ids=ids), facets=False)), repeat
        )

        import resource

        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return _report(
            rss_mib=rss_mib,
            size=size,
            build_seconds=build_seconds,
            baseline_build=baseline_build,
            index_bytes=index_bytes,
            load_ms=load_ms,
            queries=queries,
            totals=totals,
            engine=engine,
            plain=plain,
            floor=floor,
            baseline=baseline,
            mlt=mlt,
            restricted=restricted,
            repeat=repeat,
            baseline_repeat=baseline_repeat,
        )

    def _build_baseline(self, path: Path, documents) -> None:
        """The same corpus as Patent rows in a throw-away SQLite database, for the ORM baseline."""
        from listings.catalogue.models import Industry, Patent, PatentIpc, Zone

        connections.databases[BASELINE_ALIAS] = {
            **connections.databases["default"],
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {},
            "TEST": {},
        }
        connection = connections[BASELINE_ALIAS]
        with connection.schema_editor() as editor:
            for model in (Industry, Zone, Patent, PatentIpc):
                editor.create_model(model)
        zone_codes = sorted({z for d in documents for z in d.zones})
        industries = {
            code: Industry.objects.using(BASELINE_ALIAS).create(code=f"IND-{code}", name_zh=f"产业 {code}")
            for code in zone_codes
        }
        zones = {
            code: Zone.objects.using(BASELINE_ALIAS).create(
                code=code, slug=code.lower(), name_zh=f"实验区 {code}", industry=industries[code]
            )
            for code in zone_codes
        }
        ZoneLink = Patent.zones.through
        IndustryLink = Patent.industries.through
        for start in tqdm(range(0, len(documents), 2000), desc="baseline database", unit="batch"):
            chunk = documents[start : start + 2000]
            Patent.objects.using(BASELINE_ALIAS).bulk_create(
                [
                    Patent(
                        id=d.id,
                        kind=d.kind,
                        publication_number=d.publication_number,
                        title=d.title,
                        abstract=d.abstract,
                        claims=d.claims,
                        applicants=list(d.applicants),
                        main_ipc=d.ipc_codes[0] if d.ipc_codes else "",
                        application_date=d.application_date,
                        legal_status=d.legal_status,
                    )
                    for d in chunk
                ]
            )
            PatentIpc.objects.using(BASELINE_ALIAS).bulk_create(
                [PatentIpc.from_code(Patent(id=d.id), code, i) for d in chunk for i, code in enumerate(d.ipc_codes)]
            )
            ZoneLink.objects.using(BASELINE_ALIAS).bulk_create(
                [ZoneLink(patent_id=d.id, zone_id=zones[z].id) for d in chunk for z in d.zones]
            )
            IndustryLink.objects.using(BASELINE_ALIAS).bulk_create(
                [IndustryLink(patent_id=d.id, industry_id=industries[z].id) for d in chunk for z in d.zones]
            )


def _baseline_search(query: SearchQuery) -> None:
    """What a page would do with the ORM alone: icontains per word, filters, a page, the count, facets."""
    from listings.catalogue.identifiers import parse_ipc
    from listings.catalogue.models import Patent, PatentIpc

    qs = Patent.objects.using(BASELINE_ALIAS).all()
    for word in query.text.split():
        qs = qs.filter(Q(title__icontains=word) | Q(abstract__icontains=word) | Q(claims__icontains=word))
    f = query.filters
    if f.ipc:
        code = parse_ipc(f.ipc)
        column = PatentIpc.LEVEL_FIELDS[code.level]
        qs = qs.filter(pk__in=PatentIpc.objects.using(BASELINE_ALIAS).filter(**{column: code.at(code.level)}).values("patent"))
    if f.zone:
        qs = qs.filter(zones__code=f.zone)
    if f.legal_status:
        qs = qs.filter(legal_status=f.legal_status)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.year_from:
        qs = qs.filter(application_date__gte=dt.date(f.year_from, 1, 1))
    if f.year_to:
        qs = qs.filter(application_date__lte=dt.date(f.year_to, 12, 31))
    list(qs.order_by("-application_date", "pk")[:20])
    qs.count()
    ids = qs.values("pk")
    ipc = PatentIpc.objects.using(BASELINE_ALIAS).filter(patent__in=ids)
    for column in ("section", "ipc_class", "subclass", "main_group"):
        list(ipc.values(column).annotate(n=Count("patent", distinct=True)))
    list(qs.values("zones__code").annotate(n=Count("pk")))
    list(qs.values("industries__code").annotate(n=Count("pk")))
    list(qs.values("legal_status").annotate(n=Count("pk")))
    list(qs.values("kind").annotate(n=Count("pk")))
    list(qs.annotate(y=ExtractYear("application_date")).values("y").annotate(n=Count("pk")))
    applicants: dict[str, int] = {}
    for names in qs.values_list("applicants", flat=True):
        for name in names or ():
            applicants[name] = applicants.get(name, 0) + 1


def _fmt(ms: float) -> str:
    return f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"


def _report(**r) -> str:
    groups: dict[str, list[tuple[str, str, SearchFilters]]] = {}
    for group, query in r["queries"]:
        groups.setdefault(group, []).append((group, query.text, query.filters))
    all_keys = [k for keys in groups.values() for k in keys]

    def pooled(kind, keys):
        return [ms for k in keys for ms in r[kind][k]]

    lines = [
        SECTION_TITLE,
        "",
        f"Run {dt.datetime.now().astimezone().isoformat(timespec='minutes')} by `manage.py bench_search` "
        "(`make bench-search`).",
        "",
        f"- Machine: {machine_description()}.",
        f"- Corpus: **synthetic**, {r['size']:,} patents grown from the 9,740 real records of "
        "`cn_patents_title_ipc.csv` (titles recombined within an IPC subclass, real main groups from the IPC "
        "scheme, the 54 real abstracts with their English keywords on G06 documents, drawn applicants, dates, "
        "zones and legal status; see `search/benchmark.py`).",
        f"- Embedded index build: {r['build_seconds']:.1f} s for {r['size']:,} documents "
        f"({r['size'] / r['build_seconds']:.0f} docs/s, jieba segmentation included); index file "
        f"{r['index_bytes'] / 1024 / 1024:.1f} MiB. Facet arrays loaded by a fresh process in {r['load_ms']:.0f} ms.",
        f"- Baseline database (same corpus as `Patent` rows in SQLite) built in {r['baseline_build']:.1f} s.",
        f"- Samples: engine and floor {r['repeat']} runs per query, baseline {r['baseline_repeat']}; "
        "latencies in milliseconds, wall clock, single client.",
        "",
        "What is measured:",
        "",
        "- **engine, full**: `backend.search()` through the interface with every facet counted, highlighted "
        "snippets, page 1 of 20, total;",
        "- **engine, plain**: the same without facets and highlights;",
        "- **floor**: one raw FTS5 `MATCH` of the same tokens ordered by BM25, first 20 rowids, nothing else "
        "(no filters, no count, no facets);",
        "- **baseline**: Django ORM `icontains` on title/abstract/claims with the filters, first page, count, "
        "and the same facets by `GROUP BY` queries.",
        "",
        "| queries | n | engine full p50 | engine full p95 | engine plain p50 | engine plain p95 | floor p50 | "
        "floor p95 | baseline p50 | baseline p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, keys in list(groups.items()) + [("**all but sentences**", [k for k in all_keys if k[0] != "sentence"])]:
        e, p, f, b = (pooled(k, keys) for k in ("engine", "plain", "floor", "baseline"))
        lines.append(
            f"| {name} | {len(keys)} | {_fmt(percentile(e, 50))} | {_fmt(percentile(e, 95))} | "
            f"{_fmt(percentile(p, 50))} | {_fmt(percentile(p, 95))} | {_fmt(percentile(f, 50))} | "
            f"{_fmt(percentile(f, 95))} | {_fmt(percentile(b, 50))} | {_fmt(percentile(b, 95))} |"
        )
    words_keys = [k for k in all_keys if k[0] != "sentence"]
    sentence_keys = [k for k in all_keys if k[0] == "sentence"]
    e, f, b = (pooled(k, words_keys) for k in ("engine", "floor", "baseline"))
    e50, e95, f50, f95, b50, b95 = (
        percentile(e, 50), percentile(e, 95), percentile(f, 50), percentile(f, 95), percentile(b, 50), percentile(b, 95)
    )
    ok = lambda cond: "met" if cond else "**not met**"  # noqa: E731
    lines += [
        "",
        "Targets (full query with facets, every group pooled except the sentences, which are reported apart "
        "below):",
        "",
        f"- p95 ≤ 100 ms: {_fmt(e95)} ms, {ok(e95 <= 100)}; p50 ≤ 10 ms: {_fmt(e50)} ms, {ok(e50 <= 10)}.",
        f"- ≥ 10× faster than the baseline: p50 {b50 / e50:.0f}×, p95 {b95 / e95:.0f}×, "
        f"{ok(b50 / e50 >= 10 and b95 / e95 >= 10)}.",
        f"- ≤ 2× the floor: p50 {e50 / f50:.1f}×, p95 {e95 / f95:.1f}×, {ok(e50 / f50 <= 2 and e95 / f95 <= 2)}. "
        f"Without facets and highlights (engine plain): p50 "
        f"{percentile(pooled('plain', words_keys), 50) / f50:.1f}×, p95 {percentile(pooled('plain', words_keys), 95) / f95:.1f}×. "
        "The floor runs the same MATCH expression the engine builds (stop-words out, synonym groups expanded).",
        f"- Sentences ({len(sentence_keys)} queries, apart): engine full p50 {_fmt(percentile(pooled('engine', sentence_keys), 50))} ms, "
        f"p95 {_fmt(percentile(pooled('engine', sentence_keys), 95))} ms; floor (every word ANDed, usually no hit) p50 "
        f"{_fmt(percentile(pooled('floor', sentence_keys), 50))} ms. A sentence is answered by partial matching "
        "(documents holding at least half of its informative words, BM25), which the AND floor does not do.",
        f"- Peak RSS of the benchmark process: {r.get('rss_mib', 0):,.0f} MiB (it also holds the generated corpus and "
        "the ORM baseline's rows).",
        "",
        "For matching (another engineer's consumer of this interface):",
        "",
        f"- `more_like_this(text=title+abstract, limit=50)` over {r['size']:,} patents: "
        f"p50 {_fmt(percentile(r['mlt'], 50))} ms, p95 {_fmt(percentile(r['mlt'], 95))} ms ({len(r['mlt'])} runs).",
        f"- `search` restricted by `SearchFilters(ids=…)` to 2,000 ids: p50 {_fmt(percentile(r['restricted'], 50))} ms, "
        f"p95 {_fmt(percentile(r['restricted'], 95))} ms.",
        "",
        "Per query (engine full p50 / floor p50 / baseline p50, ms; hits):",
        "",
        "| group | query | filters | hits | engine | floor | baseline |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in all_keys:
        group, text, filters = key
        shown = ", ".join(f"{k}={v}" for k, v in vars(filters).items() if v not in ("", None))
        lines.append(
            f"| {group} | {text} | {shown or '–'} | {r['totals'][key]:,} | {_fmt(percentile(r['engine'][key], 50))} | "
            f"{_fmt(percentile(r['floor'][key], 50))} | {_fmt(percentile(r['baseline'][key], 50))} |"
        )
    lines.append("")
    return "\n".join(lines)


def _write_section(path: Path, section: str) -> None:
    """Replace (or add) the "## Search" section, leaving every other section as it is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION_TITLE), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        new = "\n".join(lines[:start] + section.rstrip("\n").splitlines() + [""] + lines[end:]).rstrip("\n") + "\n"
    path.write_text(new, encoding="utf-8")
