"""Factories of the matching suite (users, organisations, the zone database; demands and listings)."""
from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from listings.models import Industry, LegalStatus, Patent, PatentIpc, PatentKind, Zone
from marketplace.models import Membership, Organisation


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.django.Password("pw-123456")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试机构{n}")
    kind = Organisation.Kind.ENTERPRISE


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.DEMAND


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"I{n}")
    name_zh = factory.Sequence(lambda n: f"产业{n}")


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"Z{n + 10}")
    slug = factory.LazyAttribute(lambda z: z.code.lower())
    name_zh = factory.Sequence(lambda n: f"实验区{n}")
    industry = factory.SubFactory(IndustryFactory)


class PatentFactory(factory.django.DjangoModelFactory):
    """``ipc=["H04W4/80", ...]`` adds the per-level IPC rows, main code first."""

    class Meta:
        model = Patent
        skip_postgeneration_save = True

    kind = PatentKind.INVENTION
    publication_number = factory.Sequence(lambda n: f"CN{110000000 + n}B")
    title = factory.Sequence(lambda n: f"测试专利{n}")
    abstract = ""
    legal_status = LegalStatus.IN_FORCE

    @factory.post_generation
    def ipc(self, create, extracted, **kwargs):
        codes = list(extracted or [])
        for position, code in enumerate(codes):
            PatentIpc.from_code(self, code, position).save()
        if codes:
            Patent.objects.filter(pk=self.pk).update(main_ipc=PatentIpc.from_code(self, codes[0]).code)

    @factory.post_generation
    def industries(self, create, extracted, **kwargs):
        if extracted:
            self.industries.set(extracted)

    @factory.post_generation
    def zones(self, create, extracted, **kwargs):
        if extracted:
            self.zones.set(extracted)

    @factory.post_generation
    def holders(self, create, extracted, **kwargs):
        if extracted:
            self.holders.set(extracted)


class DemandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "listings.Demand"
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"技术需求{n}")
    problem = "需要解决的问题"
    ipc_codes = factory.LazyFunction(list)
    deal_types = factory.LazyFunction(list)
    deadline = factory.LazyFunction(lambda: __import__("datetime").date(2030, 1, 1))
    status = "published"
    published_at = factory.LazyFunction(lambda: __import__("django.utils.timezone").utils.timezone.now())

    @factory.post_generation
    def industries(self, create, extracted, **kwargs):
        if extracted:
            self.industries.set(extracted)

    @factory.post_generation
    def zones(self, create, extracted, **kwargs):
        if extracted:
            self.zones.set(extracted)


class ListingFactory(factory.django.DjangoModelFactory):
    """``patents=[...]`` links the patents in order."""

    class Meta:
        model = "listings.Listing"
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"挂牌{n}")
    deal_type = "assignment"
    price_amount = None
    status = "published"
    published_at = factory.LazyFunction(lambda: __import__("django.utils.timezone").utils.timezone.now())

    @factory.post_generation
    def patents(self, create, extracted, **kwargs):
        from listings.models import ListingPatent

        for position, patent in enumerate(extracted or []):
            ListingPatent.objects.create(listing=self, patent=patent, position=position)
