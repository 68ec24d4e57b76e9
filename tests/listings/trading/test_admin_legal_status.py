"""The Django admin changes a patent's legal status only through ``patent_legal_status_change``."""
import json

import pytest
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.forms.models import model_to_dict
from django.test import RequestFactory

from listings.catalogue.models import LegalStatus, Patent
from listings.trading.models import ListingStatus
from marketplace.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    """An operator with the Django admin's permissions (the admin shows no editable field to anyone else)."""
    return UserFactory(is_staff=True, is_superuser=True)


def _admin_save(patent: Patent, operator, **changes):
    model_admin = admin.site._registry[Patent]
    request = RequestFactory().post("/django-admin/")
    request.user = operator
    request.session = {}
    request._messages = FallbackStorage(request)
    m2m = ("holders", "industries", "zones")
    data = {
        k: json.dumps(v) if isinstance(v, (list, dict)) else v
        for k, v in model_to_dict(patent).items() if v is not None and k not in m2m
    }
    data.update({name: [obj.pk for obj in getattr(patent, name).all()] for name in m2m})
    data.update(changes)
    form = model_admin.get_form(request, patent, change=True)(data, instance=patent)
    if not form.is_valid():
        return form
    obj = form.save(commit=False)
    model_admin.save_model(request, obj, form, change=True)
    form.save_m2m()
    return form


def test_a_lapse_entered_in_the_admin_suspends_the_listing_and_tells_the_parties(
    make_listing, holder, publish, staff
):
    listing = publish(make_listing(), owner=holder)
    patent = listing.patents.get()
    form = _admin_save(patent, staff, legal_status=LegalStatus.LAPSED, legal_status_reason="第 12 期未缴年费")
    assert form.is_valid(), form.errors
    patent.refresh_from_db()
    listing.refresh_from_db()
    assert patent.legal_status == LegalStatus.LAPSED
    assert listing.status == ListingStatus.SUSPENDED
    assert listing.transitions.filter(action="suspend").exists()
    assert Notification.objects.filter(recipient=holder, verb="listing.suspended").exists()


def test_a_status_change_without_grounds_is_refused_and_nothing_changes(make_listing, holder, publish, staff):
    listing = publish(make_listing(), owner=holder)
    patent = listing.patents.get()
    form = _admin_save(patent, staff, legal_status=LegalStatus.LAPSED)
    assert "legal_status_reason" in form.errors
    patent.refresh_from_db()
    assert patent.legal_status == LegalStatus.IN_FORCE
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED


def test_other_edits_save_as_before(make_listing, holder, publish, staff):
    listing = publish(make_listing(), owner=holder)
    patent = listing.patents.get()
    form = _admin_save(patent, staff, title="更正后的标题")
    assert form.is_valid(), form.errors
    patent.refresh_from_db()
    assert patent.title == "更正后的标题"
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED
