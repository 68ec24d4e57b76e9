"""Notifications keyed by what they are about: a task that runs twice (redelivered after a lost worker) tells nobody twice."""
from __future__ import annotations

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from marketplace.models import Notification
from marketplace.notifications import notify
from marketplace.verbs import Verb
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_same_key_tells_each_user_once_and_delivers_once(django_capture_on_commit_callbacks):
    ann, bo = UserFactory(email="ann@example.cn"), UserFactory(email="bo@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(users=[ann], verb=Verb.DEMAND_MATCHES, title="新匹配", key="demand.matches:1::7")
    with django_capture_on_commit_callbacks(execute=True):
        again = notify(users=[ann, bo], verb=Verb.DEMAND_MATCHES, title="新匹配", key="demand.matches:1::7")
    assert len(first) == 1
    assert [n.recipient for n in again] == [bo]  # ann already had it; bo had not
    assert Notification.objects.filter(recipient=ann).count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.cn", "bo@example.cn"]


def test_without_a_key_every_call_is_news():
    ann = UserFactory()
    notify(users=[ann], verb=Verb.DEMAND_MATCHES, title="一")
    notify(users=[ann], verb=Verb.DEMAND_MATCHES, title="一")
    assert Notification.objects.filter(recipient=ann, dedup_key="").count() == 2


def test_the_database_refuses_a_second_row_with_the_same_key():
    ann = UserFactory()
    Notification.objects.create(recipient=ann, verb=Verb.DEMAND_MATCHES, title="一", dedup_key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=ann, verb=Verb.DEMAND_MATCHES, title="二", dedup_key="k")
