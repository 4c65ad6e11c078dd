"""Failures of the cache or of the database are not failures of the site."""

import html
import logging

import pytest
from django.db import OperationalError, connection

from tests.factories import ActorFactory, CollectiviteFactory

pytestmark = pytest.mark.django_db


def unreachable(execute, sql, params, many, context):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


def test_pages_are_served_uncached_when_redis_is_down(client, settings, caplog):
    closed_port = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
    settings.CACHES = {"default": closed_port, "pages": closed_port}
    CollectiviteFactory(name="Département joignable")

    with caplog.at_level(logging.WARNING, logger="core.caching"):
        first = client.get("/collectivites/")
        second = client.get("/collectivites/")

    assert (first.status_code, second.status_code) == (200, 200)
    assert "Département joignable" in second.content.decode()
    assert "ETag" not in second
    assert len([r for r in caplog.records if "Cache unavailable" in r.getMessage()]) <= 1


def test_a_page_served_before_is_served_again_while_the_database_is_down(client, caplog):
    CollectiviteFactory(name="Département d'avant la panne")
    client.get("/collectivites/")

    with connection.execute_wrapper(unreachable), caplog.at_level(logging.WARNING):
        response = client.get("/collectivites/")

    assert response.status_code == 200
    assert "Département d'avant la panne" in html.unescape(response.content.decode())
    assert response["Warning"] == '110 - "Response is Stale"'
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert caplog.records[0].exc_info is None


def test_other_pages_answer_503_with_retry_after_while_the_database_is_down(client, caplog):
    with connection.execute_wrapper(unreachable), caplog.at_level(logging.WARNING):
        response = client.get("/acteurs/", {"q": "jamais vue"})

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "L'annuaire est momentanément indisponible" in response.content.decode()
    assert "Traceback" not in caplog.text
    assert [r.levelname for r in caplog.records] == ["WARNING"]


def test_a_write_during_the_outage_answers_503_and_leaves_nothing(client):
    from actors.models import ActorProposal
    from tests.actors.test_proposals import VALID

    with connection.execute_wrapper(unreachable):
        response = client.post("/acteurs/referencer/", VALID)

    assert response.status_code == 503
    assert ActorProposal.objects.count() == 0


def test_the_next_request_succeeds_once_the_database_is_back(client):
    ActorFactory(name="Structure retrouvée")
    with connection.execute_wrapper(unreachable):
        client.get("/acteurs/structure-retrouvee/")

    response = client.get("/acteurs/")

    assert response.status_code == 200
    assert "Structure retrouvée" in response.content.decode()


def test_errors_of_our_own_queries_are_not_mistaken_for_an_outage(client):
    from django.db import ProgrammingError

    def broken(execute, sql, params, many, context):
        raise ProgrammingError("syntax error at or near 'SELEKT'")

    client.raise_request_exception = False
    with connection.execute_wrapper(broken):
        response = client.get("/acteurs/")

    assert response.status_code == 500
