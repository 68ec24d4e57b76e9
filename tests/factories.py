"""Shared factory_boy factories for the zone patent database (others may add theirs here)."""
from __future__ import annotations

import datetime as dt

import factory

from listings.identifiers import application_check_digit
from listings.models import Industry, IpcScopeRule, LegalStatus, Patent, PatentIpc, PatentKind, Zone
from marketplace.models import Organisation


def application_number(year: int = 2019, kind_digit: str = "1", serial: int = 1) -> str:
    digits = f"{year}{kind_digit}{serial:07d}"
    return f"{digits}.{application_check_digit(digits)}"


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n}")
    name_zh = factory.Sequence(lambda n: f"测试产业{n}")
    name_en = factory.Sequence(lambda n: f"Test industry {n}")


class IpcScopeRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IpcScopeRule

    industry = factory.SubFactory(IndustryFactory)
    rule_no = 1
    role = IpcScopeRule.Role.INCLUDE
    pattern = "H04B10/"
    match = IpcScopeRule.Match.PREFIX


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ZT{n}")
    slug = factory.Sequence(lambda n: f"zone-test-{n}")
    name_zh = factory.Sequence(lambda n: f"测试实验区{n}")
    industry = factory.SubFactory(IndustryFactory)


class PatentFactory(factory.django.DjangoModelFactory):
    """A granted invention with a valid application number and check digit."""

    class Meta:
        model = Patent
        skip_postgeneration_save = True

    kind = PatentKind.INVENTION
    application_number = factory.Sequence(lambda n: application_number(2019, "1", 500000 + n))
    publication_number = factory.Sequence(lambda n: f"CN{110000000 + n}B")
    title = factory.Sequence(lambda n: f"一种测试装置{n}")
    application_date = dt.date(2019, 3, 1)
    legal_status = LegalStatus.IN_FORCE
    source = "factory"

    @factory.post_generation
    def ipc(self, create, extracted, **kwargs):
        """``PatentFactory(ipc=["H04B10/25"])`` stores the codes at every level."""
        if create and extracted:
            PatentIpc.objects.bulk_create([PatentIpc.from_code(self, code, i) for i, code in enumerate(extracted)])


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试机构{n}有限公司")
    kind = Organisation.Kind.ENTERPRISE
