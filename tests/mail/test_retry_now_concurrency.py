"""Retry now clicked at the same moment in several browsers, on PostgreSQL: the candidate rows
are locked, so each deferred email is made due by exactly one of the clicks."""

import datetime
import threading

import pytest
from django.db import connections
from django.utils import timezone

from porto.mail.models import OutgoingEmail
from porto.mail.operations import emails_retry_now
from tests.factories import make_email, make_finalized

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.usefixtures("postgresql_only"),
    pytest.mark.django_db(transaction=True),
]

CLICKS = 6


def test_clicks_at_once_make_each_deferred_email_due_once(company, client_fr):
    document = make_finalized(company, client_fr)
    later = timezone.now() + datetime.timedelta(hours=1)
    deferred = [
        make_email(
            document,
            state=OutgoingEmail.State.QUEUED,
            handed_off_at=None,
            attempts=1,
            next_attempt_at=later,
        ).pk
        for _ in range(20)
    ]
    barrier = threading.Barrier(CLICKS)
    retried: list = [None] * CLICKS

    def click(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            retried[index] = emails_retry_now(OutgoingEmail.objects.filter(company=company))
        except Exception as error:
            retried[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(n,)) for n in range(CLICKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(isinstance(ids, list) for ids in retried), retried
    made_due = sorted(pk for ids in retried for pk in ids)
    assert made_due == sorted(deferred)  # every one once, none twice
    now = timezone.now()
    assert not OutgoingEmail.objects.filter(pk__in=deferred, next_attempt_at__gt=now).exists()
