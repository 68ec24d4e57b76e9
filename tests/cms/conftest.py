"""A small zone database and the site tree, shared by the exhibition-site tests."""
from __future__ import annotations

import datetime as dt

import pytest

from listings.models import IpcEntry, LegalStatus, PatentKind

from .factories import (
    IndustryFactory,
    IpcEntryFactory,
    PatentFactory,
    PublicationFactory,
    ScopeRuleFactory,
    ZoneFactory,
)

IPC_ENTRIES = [
    ("H", IpcEntry.Level.SECTION, "电学", "ELECTRICITY"),
    ("H04", IpcEntry.Level.CLASS, "电通信技术", "ELECTRIC COMMUNICATION TECHNIQUE"),
    ("H04W", IpcEntry.Level.SUBCLASS, "无线通信网络", "WIRELESS COMMUNICATION NETWORKS"),
    ("H04W4/00", IpcEntry.Level.MAIN_GROUP, "专门适用于无线通信网络的业务", "Services specially adapted for wireless communication networks"),
    ("H04W4/02", IpcEntry.Level.SUBGROUP, "利用位置信息的业务", "Services making use of location information"),
    ("H04B", IpcEntry.Level.SUBCLASS, "传输", "TRANSMISSION"),
    ("H04B10/00", IpcEntry.Level.MAIN_GROUP, "光传输系统", "Transmission systems employing electromagnetic waves other than radio-waves"),
    ("H04L67/00", IpcEntry.Level.MAIN_GROUP, "用于支持网络服务或应用程序的网络布置或协议", "Network arrangements or protocols for supporting network services or applications"),
    ("C", IpcEntry.Level.SECTION, "化学；冶金", "CHEMISTRY; METALLURGY"),
    ("C22", IpcEntry.Level.CLASS, "冶金", "METALLURGY"),
    ("C22C", IpcEntry.Level.SUBCLASS, "合金", "ALLOYS"),
]


@pytest.fixture
def zone_db(db):
    """Two zones, IPC titles, scope rules and five patents with known distributions.

    Zone 中关村 (Z1, mobile internet): 3 patents, 2 in force — 2 inventions (H04W; one pending) and a
    utility model (H04B). Zone 宝鸡 (Z8, titanium): 2 patents, 1 in force — a lapsed invention (C22C) and a design.
    """
    for code, level, zh, en in IPC_ENTRIES:
        IpcEntryFactory(code=code, level=level, title_zh=zh, title_en=en)
    mobile = IndustryFactory(code="Z1", name_zh="移动互联网", name_en="Mobile internet")
    titanium = IndustryFactory(code="Z8", name_zh="钛产业", name_en="Titanium industry")
    zgc = ZoneFactory(
        code="Z1", slug="zhongguancun", name_zh="中关村科技园区", name_en="Zhongguancun Science Park",
        short_name_zh="中关村", industry=mobile, position=1,
    )
    baoji = ZoneFactory(
        code="Z8", slug="baoji", name_zh="宝鸡高新技术产业开发区", name_en="Baoji Hi-tech Zone",
        short_name_zh="宝鸡", industry=titanium, position=8,
    )
    ScopeRuleFactory(industry=mobile, pattern="H04W")
    ScopeRuleFactory(industry=mobile, pattern="H04L67/")
    ScopeRuleFactory(industry=titanium, pattern="C22C14/")

    p1 = PatentFactory(
        title="一种基于位置的移动服务推送方法", ipc=["H04W4/02", "H04L67/10"], zones=[zgc], industries=[mobile],
        year=2018, applicants=["北京移动科技有限公司"], inventors=["王五", "赵六"],
        grant_date=dt.date(2021, 5, 7), source="CNIPA 公布公告",
    )
    PublicationFactory(patent=p1, number=p1.publication_number, kind_code="A", date=dt.date(2018, 9, 20))
    PublicationFactory(
        patent=p1, number=p1.publication_number.replace("A", "B"), kind_code="B", date=dt.date(2021, 5, 7)
    )
    p2 = PatentFactory(
        title="无线网络切换装置", ipc=["H04W36/00"], zones=[zgc], industries=[mobile], year=2020,
        legal_status=LegalStatus.PENDING,
    )
    p3 = PatentFactory(
        title="光模块散热结构", kind=PatentKind.UTILITY_MODEL, ipc=["H04B10/40"], zones=[zgc], year=2020,
    )
    p4 = PatentFactory(
        title="一种钛合金板材轧制工艺", ipc=["C22C14/00"], zones=[baoji], industries=[titanium], year=2016,
        legal_status=LegalStatus.LAPSED,
    )
    p5 = PatentFactory(title="钛合金眼镜架", kind=PatentKind.DESIGN, ipc=[], zones=[baoji], year=2022)
    return {"zones": {"Z1": zgc, "Z8": baoji}, "industries": {"Z1": mobile, "Z8": titanium},
            "patents": [p1, p2, p3, p4, p5]}


@pytest.fixture
def site_pages(zone_db):
    from cms.services import ensure_site_pages

    return ensure_site_pages()
