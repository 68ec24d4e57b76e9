"""The suite's only factories: one per model, so every test builds rows with valid identifiers
(application check digits, USCC check characters, kind codes that match the patent kind)."""
from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from listings.catalogue.identifiers import application_check_digit, parse_ipc, parse_publication_number
from listings.catalogue.models import (
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
from listings.demands.models import Demand, DemandStatus
from listings.trading.models import DealType, Listing, ListingPatent, ListingStatus
from marketplace.identifiers import USCC_ALPHABET, uscc_check_char
from marketplace.models import Membership, Organisation
from search.interface import PatentDocument

#: the kind digit of an application number (the fifth of its twelve digits)
KIND_DIGIT = {PatentKind.INVENTION: "1", PatentKind.UTILITY_MODEL: "2", PatentKind.DESIGN: "3"}
#: the kind code of a patent's first publication: A (invention application published), U, S (granted)
KIND_CODE = {PatentKind.INVENTION: "A", PatentKind.UTILITY_MODEL: "U", PatentKind.DESIGN: "S"}
#: factories number their USCCs from here; tests call ``make_uscc`` with small numbers and never collide
FACTORY_USCC_BASE = 1_000_000


def application_number(year: int = 2019, kind_digit: str = "1", serial: int = 1) -> str:
    """A 12-digit application number with its check digit: ``application_number(2019, "1", 7)``."""
    digits = f"{year}{kind_digit}{serial:07d}"
    return f"{digits}.{application_check_digit(digits)}"


def make_uscc(n: int) -> str:
    """A valid 18-character Unified Social Credit Code (GB 32100-2015) derived from ``n``."""
    body = "91320594"  # enterprise, Suzhou Industrial Park
    digits = ""
    value = n + 1000
    for _ in range(9):
        digits = USCC_ALPHABET[value % 31] + digits
        value //= 31
    first17 = body + digits
    return first17 + uscc_check_char(first17)


# People and organisations -------------------------------------------------------------------
class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.django.Password("pw-123456")


class OperatorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"operator{n}")
    is_staff = True


class OrganisationFactory(factory.django.DjangoModelFactory):
    """A verified enterprise with a valid USCC."""

    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试机构{n}有限公司")
    kind = Organisation.Kind.ENTERPRISE
    uscc = factory.Sequence(lambda n: make_uscc(FACTORY_USCC_BASE + n))
    is_verified = True
    verified_at = factory.Maybe("is_verified", factory.LazyFunction(timezone.now), None)


class ServiceAgencyFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"知识产权服务中心{n}")
    kind = Organisation.Kind.SERVICE_AGENCY
    services = factory.LazyFunction(lambda: ["专利代理", "专利评估"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.HOLDER


# Classification -----------------------------------------------------------------------------
class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n}")
    scheme = Industry.Scheme.ZONE
    name_zh = factory.Sequence(lambda n: f"测试产业{n}")
    name_en = factory.Sequence(lambda n: f"Test industry {n}")


class ZoneFactory(factory.django.DjangoModelFactory):
    """A zone and, unless given, its own industry under the same code (as in the real zone list)."""

    class Meta:
        model = Zone
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ZT{n}")
    slug = factory.LazyAttribute(lambda z: z.code.lower())
    name_zh = factory.Sequence(lambda n: f"测试实验区{n}")
    name_en = factory.Sequence(lambda n: f"Test zone {n}")
    short_name_zh = factory.Sequence(lambda n: f"测试区{n}")
    industry = factory.SubFactory(IndustryFactory, code=factory.SelfAttribute("..code"))


class IpcEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IpcEntry
        django_get_or_create = ("code",)

    code = "H"
    level = factory.LazyAttribute(lambda e: parse_ipc(e.code).level)
    title_zh = factory.LazyAttribute(lambda e: f"分类 {e.code}")
    title_en = factory.LazyAttribute(lambda e: f"Class {e.code}")


class IpcScopeRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IpcScopeRule

    industry = factory.SubFactory(IndustryFactory)
    rule_no = 1
    role = IpcScopeRule.Role.INCLUDE
    pattern = "H04B10/"
    match = IpcScopeRule.Match.PREFIX


# Patents ------------------------------------------------------------------------------------
class PatentFactory(factory.django.DjangoModelFactory):
    """A patent in force, filed in ``year`` (2019), numbered to match its ``kind``.

    Hooks: ``ipc=[...]`` (IPC rows at every level, the first is the main code), ``zones=[...]``,
    ``industries=[...]``, ``holders=[organisation, ...]``.
    """

    class Meta:
        model = Patent
        skip_postgeneration_save = True

    class Params:
        year = 2019
        serial = factory.Sequence(lambda n: 500000 + n)

    kind = PatentKind.INVENTION
    application_number = factory.LazyAttribute(lambda o: application_number(o.year, KIND_DIGIT[o.kind], o.serial))
    publication_number = factory.LazyAttribute(lambda o: f"CN{110000000 + o.serial}{KIND_CODE[o.kind]}")
    title = factory.Sequence(lambda n: f"测试专利{n}")
    applicants = factory.LazyFunction(lambda: ["测试科技有限公司"])
    application_date = factory.LazyAttribute(lambda o: dt.date(o.year, 3, 15))
    publication_date = factory.LazyAttribute(lambda o: dt.date(o.year, 9, 20))
    legal_status = LegalStatus.IN_FORCE
    source = "测试数据"

    @factory.post_generation
    def ipc(self, create, extracted, **kwargs):
        codes = list(extracted or [])
        if not (create and codes):
            return
        PatentIpc.objects.bulk_create([PatentIpc.from_code(self, code, i) for i, code in enumerate(codes)])
        self.main_ipc = str(parse_ipc(codes[0]))
        Patent.objects.filter(pk=self.pk).update(main_ipc=self.main_ipc)

    @factory.post_generation
    def zones(self, create, extracted, **kwargs):
        if create and extracted:
            self.zones.set(extracted)

    @factory.post_generation
    def industries(self, create, extracted, **kwargs):
        if create and extracted:
            self.industries.set(extracted)

    @factory.post_generation
    def holders(self, create, extracted, **kwargs):
        if create and extracted:
            self.holders.set(extracted)


class PatentPublicationFactory(factory.django.DjangoModelFactory):
    """A publication of ``patent``; the kind code is read from the number."""

    class Meta:
        model = PatentPublication

    patent = factory.SubFactory(PatentFactory)
    number = factory.LazyAttribute(lambda o: o.patent.publication_number)
    kind_code = factory.LazyAttribute(lambda o: parse_publication_number(o.number).kind_code)
    date = factory.LazyAttribute(lambda o: o.patent.publication_date)


# Trading ------------------------------------------------------------------------------------
class DemandFactory(factory.django.DjangoModelFactory):
    """A published demand (written directly, without the services' review steps)."""

    class Meta:
        model = Demand
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"技术需求{n}")
    problem = "需要解决的问题"
    ipc_codes = factory.LazyFunction(list)
    deal_types = factory.LazyFunction(list)
    deadline = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=90))
    status = DemandStatus.PUBLISHED
    published_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == DemandStatus.PUBLISHED else None)

    @factory.post_generation
    def industries(self, create, extracted, **kwargs):
        if create and extracted:
            self.industries.set(extracted)

    @factory.post_generation
    def zones(self, create, extracted, **kwargs):
        if create and extracted:
            self.zones.set(extracted)


class ListingFactory(factory.django.DjangoModelFactory):
    """A published listing at a negotiable price; ``patents=[...]`` links the patents in order."""

    class Meta:
        model = Listing
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"挂牌{n}")
    deal_type = DealType.ASSIGNMENT
    price_amount = None
    status = ListingStatus.PUBLISHED
    published_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == ListingStatus.PUBLISHED else None)

    @factory.post_generation
    def patents(self, create, extracted, **kwargs):
        if create and extracted:
            ListingPatent.objects.bulk_create(
                [ListingPatent(listing=self, patent=patent, position=i) for i, patent in enumerate(extracted)]
            )


# Search documents (no database) -------------------------------------------------------------
class PatentDocumentFactory(factory.Factory):
    """What the engines index; ``publication_number`` follows ``id``."""

    class Meta:
        model = PatentDocument

    id = factory.Sequence(lambda n: 1000 + n)
    publication_number = factory.LazyAttribute(lambda o: f"CN{120000000 + o.id}A")
    title = factory.LazyAttribute(lambda o: f"测试专利{o.id}")
    applicants = ("测试科技有限公司",)
    ipc_codes = ("G01N21/00",)
    legal_status = LegalStatus.IN_FORCE
    kind = PatentKind.INVENTION
    application_date = dt.date(2020, 5, 1)


def corpus() -> list[PatentDocument]:
    """A small fixed corpus with known answers (used by the engine contract suite)."""
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
    return [PatentDocumentFactory(**row) for row in rows]


# A small zone database ----------------------------------------------------------------------
IPC_TITLES = [
    ("H", "电学", "ELECTRICITY"),
    ("H04", "电通信技术", "ELECTRIC COMMUNICATION TECHNIQUE"),
    ("H04W", "无线通信网络", "WIRELESS COMMUNICATION NETWORKS"),
    ("H04W4/00", "专门适用于无线通信网络的业务", "Services specially adapted for wireless communication networks"),
    ("H04W4/02", "利用位置信息的业务", "Services making use of location information"),
    ("H04B", "传输", "TRANSMISSION"),
    ("H04B10/00", "光传输系统", "Transmission systems employing electromagnetic waves other than radio-waves"),
    ("H04L67/00", "用于支持网络服务或应用程序的网络布置或协议",
     "Network arrangements or protocols for supporting network services or applications"),
    ("C", "化学；冶金", "CHEMISTRY; METALLURGY"),
    ("C22", "冶金", "METALLURGY"),
    ("C22C", "合金", "ALLOYS"),
]


def build_zone_db() -> dict:
    """Two zones, IPC titles, scope rules and five patents with known distributions.

    Zone 中关村 (Z1, mobile internet): 3 patents, 2 in force — 2 inventions (H04W; one pending) and a
    utility model (H04B). Zone 宝鸡 (Z8, titanium): 2 patents, 1 in force — a lapsed invention (C22C) and a design.
    """
    for code, zh, en in IPC_TITLES:
        IpcEntryFactory(code=code, title_zh=zh, title_en=en)
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
    IpcScopeRuleFactory(industry=mobile, pattern="H04W")
    IpcScopeRuleFactory(industry=mobile, pattern="H04L67/")
    IpcScopeRuleFactory(industry=titanium, pattern="C22C14/")

    p1 = PatentFactory(
        title="一种基于位置的移动服务推送方法", ipc=["H04W4/02", "H04L67/10"], zones=[zgc], industries=[mobile],
        year=2018, applicants=["北京移动科技有限公司"], inventors=["王五", "赵六"],
        abstract="本发明公开了一种无线通信方法。", claims="1. 一种无线通信方法，其特征在于……",
        grant_date=dt.date(2021, 5, 7), source="CNIPA 公布公告",
    )
    PatentPublicationFactory(patent=p1, date=dt.date(2018, 9, 20))
    PatentPublicationFactory(patent=p1, number=p1.publication_number[:-1] + "B", date=dt.date(2021, 5, 7))
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
