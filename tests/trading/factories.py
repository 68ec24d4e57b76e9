"""Factories of the trading suite: people, organisations with valid USCCs, patents with valid numbers."""
from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from listings.identifiers import USCC_ALPHABET, application_check_digit, uscc_check_char
from listings.models import Industry, LegalStatus, Patent, PatentIpc, PatentKind, Zone
from marketplace.models import Membership, Organisation


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


def make_application_number(n: int, kind_digit: str = "1", year: int = 2019) -> str:
    digits = f"{year}{kind_digit}{n:07d}"
    return f"{digits}.{application_check_digit(digits)}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"trader{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.django.Password("pw-123456")


class OperatorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"operator{n}")
    is_staff = True


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"苏州纳米科技有限公司{n}")
    kind = Organisation.Kind.ENTERPRISE
    uscc = factory.Sequence(make_uscc)
    is_verified = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.HOLDER


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n}")
    name_zh = factory.Sequence(lambda n: f"纳米技术应用{n}")


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TZ{n}")
    slug = factory.LazyAttribute(lambda z: z.code.lower())
    name_zh = factory.Sequence(lambda n: f"苏州工业园区{n}")
    industry = factory.SubFactory(IndustryFactory)


class PatentFactory(factory.django.DjangoModelFactory):
    """An invention in force, filed 2019; ``ipc=[...]`` adds IPC rows; ``holders=[org]`` sets the patentee."""

    class Meta:
        model = Patent
        skip_postgeneration_save = True

    kind = PatentKind.INVENTION
    application_number = factory.Sequence(lambda n: make_application_number(n + 100))
    publication_number = factory.Sequence(lambda n: f"CN{110000000 + n}B")
    title = factory.Sequence(lambda n: f"一种纳米银线透明导电膜的制备方法{n}")
    abstract = "本发明公开了一种纳米银线透明导电膜的制备方法，导电性好，透光率高。"
    applicants = factory.LazyFunction(lambda: ["苏州纳米科技有限公司"])
    application_date = dt.date(2019, 3, 1)
    legal_status = LegalStatus.IN_FORCE

    @factory.post_generation
    def ipc(self, create, extracted, **kwargs):
        for position, code in enumerate(extracted or ["B82Y30/00"]):
            PatentIpc.from_code(self, code, position).save()

    @factory.post_generation
    def holders(self, create, extracted, **kwargs):
        if extracted:
            self.holders.set(extracted)
