"""Search test data: ``PatentDocument``s for engine tests and ``Patent`` rows for the API and indexing tests."""
from __future__ import annotations

import datetime as dt
import itertools

from listings.models import Industry, LegalStatus, Patent, PatentIpc, PatentKind, Zone
from search.interface import PatentDocument
from tests.factories import application_number

_ids = itertools.count(1)


def make_document(**overrides) -> PatentDocument:
    n = overrides.pop("id", None) or next(_ids)
    values = dict(
        id=n,
        publication_number=f"CN{120000000 + n}A",
        title=f"测试专利{n}",
        abstract="",
        claims="",
        applicants=("测试科技有限公司",),
        ipc_codes=("G01N21/00",),
        zones=(),
        industries=(),
        legal_status=LegalStatus.IN_FORCE,
        kind=PatentKind.INVENTION,
        application_date=dt.date(2020, 5, 1),
    )
    values.update(overrides)
    return PatentDocument(**values)


def corpus() -> list[PatentDocument]:
    """A small fixed corpus with known answers (used by the contract suite)."""
    rows = [
        dict(id=1, title="一种光纤传感器及其制备方法", abstract="本发明公开了一种基于光纤光栅的温度传感器。",
             ipc_codes=("G01K11/32", "G02B6/02"), zones=("Z6",), industries=("I6",), applicants=("武汉光电研究院",),
             application_date=dt.date(2019, 3, 1), kind=PatentKind.INVENTION, legal_status=LegalStatus.IN_FORCE),
        dict(id=2, title="光纤通信网络的保护装置", abstract="一种用于光纤通信的保护电路。",
             ipc_codes=("H04B10/03",), zones=("Z6",), industries=("I6",), applicants=("华为技术有限公司",),
             application_date=dt.date(2021, 7, 9), kind=PatentKind.UTILITY_MODEL, legal_status=LegalStatus.PENDING),
        dict(id=3, title="压力传感器的封装结构", abstract="传感器芯片通过硅胶封装。",
             ipc_codes=("G01L19/14", "H01L23/31"), zones=("Z2",), industries=("I2",), applicants=("苏州纳米科技有限公司",),
             application_date=dt.date(2018, 1, 15), kind=PatentKind.UTILITY_MODEL, legal_status=LegalStatus.IN_FORCE),
        dict(id=4, title="Optical fibre sensors for temperature monitoring", abstract="Sensing with fibre Bragg gratings.",
             ipc_codes=("G01K11/32",), zones=(), industries=(), applicants=("Acme Photonics Ltd",),
             application_date=dt.date(2022, 2, 2), kind=PatentKind.INVENTION, legal_status=LegalStatus.PENDING),
        dict(id=5, title="一种锂离子电池正极材料", abstract="正极材料包括磷酸铁锂与碳包覆层。",
             ipc_codes=("H01M4/58",), zones=("Z2",), industries=("I2",), applicants=("宁德时代新能源科技股份有限公司",),
             application_date=dt.date(2020, 11, 30), kind=PatentKind.INVENTION, legal_status=LegalStatus.LAPSED),
        dict(id=6, title="电池管理系统", abstract="", claims="1. 一种电池管理系统，其特征在于包括光纤温度传感器。",
             ipc_codes=("H01M10/42", "G01R31/36"), zones=(), industries=(), applicants=("华为技术有限公司",),
             application_date=dt.date(2017, 6, 6), kind=PatentKind.INVENTION, legal_status=LegalStatus.EXPIRED),
        dict(id=7, title="钛合金人工关节", abstract="采用钛合金制备的髋关节假体。",
             ipc_codes=("A61F2/32",), zones=("Z8",), industries=("I8",), applicants=("宝鸡钛业股份有限公司",),
             application_date=dt.date(2016, 9, 9), kind=PatentKind.INVENTION, legal_status=LegalStatus.IN_FORCE),
        dict(id=8, title="一种<b>标记</b>测试装置", abstract="含有 <script>alert(1)</script> 的摘要：传感器。",
             ipc_codes=("G01N21/00",), zones=(), industries=(), applicants=("测试科技有限公司",),
             application_date=None, kind=PatentKind.DESIGN, legal_status=LegalStatus.WITHDRAWN),
    ]
    return [make_document(**row) for row in rows]


def make_patent(*, title: str, ipc: tuple[str, ...] = ("G01N21/00",), zones: tuple[Zone, ...] = (),
                industries: tuple[Industry, ...] = (), serial: int | None = None, **fields) -> Patent:
    """A saved ``Patent`` with its IPC rows (the rows the documents are built from)."""
    serial = serial if serial is not None else next(_ids) + 700000
    values = dict(
        kind=PatentKind.INVENTION,
        application_number=application_number(2020, "1", serial),
        publication_number=f"CN{130000000 + serial}A",
        title=title,
        application_date=dt.date(2020, 4, 1),
        legal_status=LegalStatus.IN_FORCE,
        applicants=["测试科技有限公司"],
        source="tests.search",
    )
    values.update(fields)
    patent = Patent(**values)
    patent.save()
    PatentIpc.objects.bulk_create([PatentIpc.from_code(patent, code, i) for i, code in enumerate(ipc)])
    if zones:
        patent.zones.set(zones)
    if industries:
        patent.industries.set(industries)
    return patent
