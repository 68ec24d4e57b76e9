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
