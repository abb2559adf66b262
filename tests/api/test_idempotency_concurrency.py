"""Concurrent duplicates on PostgreSQL: requests with the same Idempotency-Key sent at once
wait for the first to commit, then replay its answer. One client, one answer."""

import json
import threading

import pytest
from django.db import connections
from django.test import Client as HttpClient

from porto.clients.models import Client

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.usefixtures("postgresql_only"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 6


def test_duplicates_sent_at_once_create_one_client_and_all_get_its_answer(token):
    barrier = threading.Barrier(THREADS)
    answers: list = [None] * THREADS
    body = json.dumps({"name": "Brouwerij Het Anker NV"})

    def post(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = HttpClient().post(
                "/api/v1/clients/",
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token.secret}",
                HTTP_IDEMPOTENCY_KEY="order-1001",
            )
            answers[index] = (response.status_code, response.json())
        except Exception as error:
            answers[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Client.objects.count() == 1
    assert {status for status, _ in answers} == {201}, answers
    assert len({json.dumps(body, sort_keys=True) for _, body in answers}) == 1
