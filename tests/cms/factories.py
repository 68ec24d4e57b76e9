"""Factories for the exhibition-site tests (tests/factories.py belongs to the shared suite)."""
from __future__ import annotations

import datetime as dt

import factory

from listings.identifiers import application_check_digit
from listings.models import (
    Industry,
    IpcEntry,
    IpcScopeRule,
    LegalStatus,
    Patent,
    PatentIpc,
    PatentKind,
    PatentPublication,
    Zone,
)
from marketplace.models import Organisation

KIND_DIGIT = {PatentKind.INVENTION: "1", PatentKind.UTILITY_MODEL: "2", PatentKind.DESIGN: "3"}
KIND_CODE = {PatentKind.INVENTION: "A", PatentKind.UTILITY_MODEL: "U", PatentKind.DESIGN: "S"}


def application_number(year: int, kind: str, serial: int) -> str:
    digits = f"{year}{KIND_DIGIT[kind]}{serial:07d}"
    return f"{digits}.{application_check_digit(digits)}"


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"Z{n + 1}")
    scheme = Industry.Scheme.ZONE
    name_zh = factory.Sequence(lambda n: f"产业{n + 1}")
    name_en = factory.Sequence(lambda n: f"Industry {n + 1}")


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"Z{n + 1}")
    slug = factory.Sequence(lambda n: f"zone-{n + 1}")
    name_zh = factory.Sequence(lambda n: f"实验区{n + 1}")
    name_en = factory.Sequence(lambda n: f"Zone {n + 1}")
    short_name_zh = factory.Sequence(lambda n: f"区{n + 1}")
    industry = factory.SubFactory(IndustryFactory, code=factory.SelfAttribute("..code"))
    position = factory.Sequence(lambda n: n)


class IpcEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IpcEntry
        django_get_or_create = ("code",)

    code = "H"
    level = IpcEntry.Level.SECTION
    title_zh = "电学"
    title_en = "ELECTRICITY"


class ScopeRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IpcScopeRule

    industry = factory.SubFactory(IndustryFactory)
    rule_no = 1
    role = IpcScopeRule.Role.INCLUDE
    pattern = "H04W"
    match = IpcScopeRule.Match.PREFIX


class PatentFactory(factory.django.DjangoModelFactory):
    """A patent with consistent numbers; ``ipc=[...]`` and ``zones=[...]`` add the related rows."""

    class Meta:
        model = Patent
        skip_postgeneration_save = True

    class Params:
        serial = factory.Sequence(lambda n: 100000 + n)
        year = 2019

    kind = PatentKind.INVENTION
    application_number = factory.LazyAttribute(lambda o: application_number(o.year, o.kind, o.serial))
    publication_number = factory.LazyAttribute(lambda o: f"CN{110000000 + o.serial}{KIND_CODE[o.kind]}")
    title = factory.Sequence(lambda n: f"一种无线通信方法{n}")
    abstract = "本发明公开了一种无线通信方法。"
    claims = "1. 一种无线通信方法，其特征在于……"
    applicants = factory.LazyFunction(lambda: ["某某科技有限公司"])
    inventors = factory.LazyFunction(lambda: ["张三", "李四"])
    application_date = factory.LazyAttribute(lambda o: dt.date(o.year, 3, 15))
    publication_date = factory.LazyAttribute(lambda o: dt.date(o.year, 9, 20))
    legal_status = LegalStatus.IN_FORCE
    source = "测试数据"

    @factory.post_generation
    def ipc(self, create, extracted, **kwargs):
        for position, code in enumerate(extracted or []):
            PatentIpc.from_code(self, code, position).save()
        if extracted:
            self.main_ipc = PatentIpc.from_code(self, extracted[0]).code
            self.save(update_fields=["main_ipc"])

    @factory.post_generation
    def zones(self, create, extracted, **kwargs):
        if extracted:
            self.zones.set(extracted)

    @factory.post_generation
    def industries(self, create, extracted, **kwargs):
        if extracted:
            self.industries.set(extracted)


class PublicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatentPublication

    patent = factory.SubFactory(PatentFactory)
    number = factory.LazyAttribute(lambda o: o.patent.publication_number)
    kind_code = "A"
    date = dt.date(2019, 9, 20)


class ServiceAgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"知识产权服务中心{n}")
    kind = Organisation.Kind.SERVICE_AGENCY
    services = factory.LazyFunction(lambda: ["专利代理", "专利评估"])


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


def build_zone_db() -> dict:
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
