"""The search benchmark (``manage.py bench_search``): a synthetic 100,000-patent corpus grown from the real
records, a fixed query set, and p50/p95 latencies for the embedded engine, the ORM baseline and the raw
FTS5 floor. A benchmark, not a test: nothing here asserts a time.

The corpus is SYNTHETIC. Each document starts from one real record of ``cn_patents_title_ipc.csv`` (its IPC
subclasses and kind stay together, so text and classification agree) and is recombined: the title is the
head of that record's title joined to the tail of another real title in the same subclass; main groups are
real main groups of those subclasses from the IPC scheme (half of them cut to a synthetic subgroup); G06
documents borrow a real abstract, with its English keywords, from ``cn_patents_abstract_cpc_sample.csv``; applicants, dates, zones and legal status are drawn from seeded
distributions. The first 9,740 documents keep their real titles unchanged.
"""
from __future__ import annotations

import csv
import datetime as dt
import itertools
import platform
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from search.interface import PatentDocument, SearchFilters, SearchQuery

SEED = 20130901
LEGAL_STATUS_WEIGHTS = {
    "in_force": 45,
    "pending": 30,
    "lapsed": 12,
    "expired": 5,
    "invalidated": 2,
    "withdrawn": 3,
    "rejected": 3,
}
KIND_BY_CODE = {"A": "invention", "B": "invention", "U": "utility_model"}
_APPLICANT_HEADS = "华 中 海 创 新 科 瑞 博 恒 天 光 明 东 方 宏 远 金 信 达 智 联 泰 星 鸿 嘉 德 永 安 捷 诚".split()
_APPLICANT_TAILS = ["科技有限公司", "股份有限公司", "电子有限公司", "研究院", "大学", "技术有限公司", "集团有限公司"]
_CITIES = ["北京", "苏州", "上海", "杭州", "郑州", "武汉", "长春", "宝鸡", "深圳", "南京", "成都", "西安"]


@dataclass(frozen=True)
class RealRecord:
    publication_number: str
    title: str
    subclasses: tuple[str, ...]
    kind: str


def read_real_records(data_dir: Path) -> list[RealRecord]:
    with open(data_dir / "cn_patents_title_ipc.csv", encoding="utf-8", newline="") as fh:
        return [
            RealRecord(
                row["publication_number"],
                row["title"].strip(),
                tuple(s for s in row["ipc_subclasses"].split("|") if s),
                KIND_BY_CODE.get(row["kind_code"], "invention"),
            )
            for row in csv.DictReader(fh)
            if row["title"].strip()
        ]


def read_abstracts(data_dir: Path) -> list[str]:
    """The real abstracts, each followed by its record's English keywords (the corpus's English text)."""
    with open(data_dir / "cn_patents_abstract_cpc_sample.csv", encoding="utf-8", newline="") as fh:
        return [
            f"{row['abstract']} Keywords: {row.get('keywords_en') or ''}".strip()
            for row in csv.DictReader(fh)
            if row.get("abstract")
        ]


def read_main_groups(data_dir: Path) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    with open(data_dir / "ipc_scheme_core_zh_en.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["level"] == "main_group":
                groups[row["code"][:4]].append(row["code"].replace(" ", ""))
    return groups


def read_zone_rules(data_dir: Path) -> list[tuple[str, str]]:
    """(IPC prefix, zone code) from the derived zone–industry mapping."""
    with open(data_dir / "zone_industry_ipc_mapping_derived.csv", encoding="utf-8", newline="") as fh:
        return [(row["ipc_pattern"].rstrip("/"), row["zone_code"]) for row in csv.DictReader(fh)]


def _split_title(title: str) -> tuple[str, str]:
    import jieba

    words = jieba.lcut(title, HMM=False)
    if len(words) < 2:
        return title, ""
    cut = max(1, len(words) // 2)
    return "".join(words[:cut]), "".join(words[cut:])


def synthetic_corpus(data_dir: Path, size: int = 100_000) -> Iterator[PatentDocument]:
    """``size`` documents grown from the real records (see the module docstring); deterministic."""
    rnd = random.Random(SEED)
    records = read_real_records(data_dir)
    abstracts = read_abstracts(data_dir)
    main_groups = read_main_groups(data_dir)
    zone_rules = read_zone_rules(data_dir)
    # a code is in a rule's zone when it starts with the rule's prefix: looked up by the code's own prefixes
    zones_by_prefix: dict[str, list[str]] = defaultdict(list)
    for prefix, zone in zone_rules:
        zones_by_prefix[prefix].append(zone)
    prefix_lengths = sorted({len(prefix) for prefix in zones_by_prefix})
    halves = {r.publication_number: _split_title(r.title) for r in records}
    by_subclass: dict[str, list[RealRecord]] = defaultdict(list)
    for record in records:
        by_subclass[record.subclasses[0]].append(record)
    applicants = [
        f"{rnd.choice(_CITIES)}{rnd.choice(_APPLICANT_HEADS)}{rnd.choice(_APPLICANT_HEADS)}{rnd.choice(_APPLICANT_TAILS)}"
        for _ in range(4000)
    ]
    # cumulative weights computed once (``choices`` would redo it per call; the draws are the same)
    applicant_cum = list(itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(len(applicants))))
    statuses, status_weights = zip(*LEGAL_STATUS_WEIGHTS.items())
    status_cum = list(itertools.accumulate(status_weights))
    years = range(2005, 2025)
    year_cum = list(itertools.accumulate(i + 1 for i in range(20)))
    for n in range(size):
        record = records[n % len(records)]
        if n < len(records):
            title = record.title
        else:
            other = rnd.choice(by_subclass[record.subclasses[0]])
            title = halves[record.publication_number][0] + halves[other.publication_number][1]
        codes = []
        for subclass in record.subclasses:
            groups = main_groups.get(subclass)
            if groups:
                group = rnd.choice(groups)
                codes.append(group if rnd.random() < 0.5 else group.replace("/00", f"/{rnd.randint(1, 40):02d}"))
            else:
                codes.append(subclass)
        zones = sorted({zone for c in codes for n in prefix_lengths for zone in zones_by_prefix.get(c[:n], ())})
        if not zones and rnd.random() < 0.15:
            zones = [f"Z{rnd.randint(1, 8)}"]
        year = rnd.choices(years, cum_weights=year_cum)[0]
        day = dt.date(year, 1, 1) + dt.timedelta(days=rnd.randint(0, 364))
        abstract = rnd.choice(abstracts) if abstracts and record.subclasses[0].startswith("G06") else ""
        number = 100_000_000 + n
        yield PatentDocument(
            id=n + 1,
            publication_number=f"CN{number}{'U' if record.kind == 'utility_model' else 'A'}",
            title=title,
            abstract=abstract,
            applicants=tuple(rnd.choices(applicants, cum_weights=applicant_cum, k=1 + (rnd.random() < 0.2))),
            ipc_codes=tuple(dict.fromkeys(codes)),
            zones=tuple(zones),
            industries=tuple(f"IND-{z}" for z in zones),
            legal_status=rnd.choices(statuses, cum_weights=status_cum)[0],
            kind=record.kind,
            application_date=day,
        )


# ------------------------------------------------------------------------------------------------------
# The fixed query set
# ------------------------------------------------------------------------------------------------------
CHINESE_2 = ["光纤", "电池", "电机", "芯片", "轴承", "疫苗", "涂料", "纳米", "阀门", "齿轮"]
CHINESE_4 = ["光纤通信", "图像处理", "无线通信", "数据处理", "智能控制", "纳米材料", "储能电池", "人工智能"]
ENGLISH = ["data", "model", "memory", "network", "error"]


def query_set() -> list[tuple[str, SearchQuery]]:
    """(group, query) pairs: Chinese words of 2 and 4 characters, English words, IPC-filtered, every facet on,
    and sentences (their own group, reported apart)."""
    queries: list[tuple[str, SearchQuery]] = []
    for word in CHINESE_2:
        queries.append(("zh-2", SearchQuery(text=word)))
    for word in CHINESE_4:
        queries.append(("zh-4", SearchQuery(text=word)))
    for word in ENGLISH:
        queries.append(("en", SearchQuery(text=word)))
    for word, ipc in (("光纤", "G02B"), ("电池", "H01M"), ("传感器", "G01"), ("控制", "H"), ("数据", "G06F")):
        queries.append(("ipc", SearchQuery(text=word, filters=SearchFilters(ipc=ipc))))
    for word, filters in (
        ("传感器", SearchFilters(ipc="G01", legal_status="in_force", year_from=2015, year_to=2024)),
        ("电池", SearchFilters(ipc="H01M", kind="invention", year_from=2010)),
        ("通信", SearchFilters(zone="Z6", legal_status="pending")),
        ("装置", SearchFilters(ipc="A61", kind="utility_model")),
        ("一种 方法", SearchFilters()),
    ):
        queries.append(("all-facets", SearchQuery(text=word, filters=filters)))
    for sentence in SENTENCES:
        queries.append(("sentence", SearchQuery(text=sentence)))
    return queries


#: what users type: sentences (reported apart: partial matching ranks documents holding part of the words)
SENTENCES = (
    "提高锂离子电池正极材料循环寿命",
    "光伏板自动清洗",
    "电镀废水重金属去除",
    "我们需要一种机器视觉的产品表面缺陷检测技术",
    "希望提供低功耗无线传感器网络的数据采集方案",
)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summarise(samples: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "mean": statistics.fmean(samples) if samples else 0.0,
        "n": len(samples),
    }


def machine_description() -> str:
    import os
    import sqlite3

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = int(fh.readline().split()[1])
            memory = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} CPU ({cpu}){memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}"
    )
