"""Schemathesis drives the API from its OpenAPI description: no 5xx, every response valid."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

_django = get_wsgi_application()


def https_application(environ, start_response):
    # The site redirects plain HTTP (production settings): call it as the proxy would. And,
    # as Django's test client does, keep the test's database connection open at the end of
    # the request (the test runs inside a transaction).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        response = _django({**environ, "wsgi.url_scheme": "https"}, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", https_application)


@pytest.fixture
def open_rate(settings):
    settings.API_RATE = "100000/m"


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_description(case, seed, open_rate):
    # A territory the directory does not know, or a forged cursor, is schema-valid text
    # that the API rightly answers with a documented 400: every other check applies.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
