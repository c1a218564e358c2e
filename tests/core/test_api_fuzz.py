"""Property-based API testing: schemathesis generates requests from the OpenAPI schema (valid and
odd values alike) and every endpoint must answer without a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from knox.models import AuthToken


@pytest.fixture
def keep_test_connection():
    """The raw WSGI handler closes database connections after each request, which would end the
    test's transaction; Django's own test client switches that off in the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_no_endpoint_answers_with_a_server_error(make_user, keep_test_connection):
    from django.core.wsgi import get_wsgi_application

    user = make_user("force-durham", "analyst", "administrator", username="fuzzer")
    headers = {"Authorization": f"Token {AuthToken.objects.create(user=user)[1]}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", get_wsgi_application(), headers=headers
    )
    failures = []
    statuses: dict[int, int] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call(headers=headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query} {case.body!r:.200} "
                    f"-> {response.status_code}"
                )

        check()
    assert operations >= 20
    assert statuses.get(200, 0) > 20 and any(400 <= code < 500 for code in statuses), statuses
    assert not failures, "\n".join(failures[:20])
