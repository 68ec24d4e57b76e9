"""Schemathesis over the whole OpenAPI schema (``/api/schema/``), anonymously and as a signed-in member with a
token: every generated request must get no 5xx and a response that matches the schema (issue 8, "Proof").

Runs in-process against the Django WSGI app on the test database (SQLite locally, Postgres in CI), with a fixed
seed (derandomised) so CI sees the same cases on every run; prints the operations, cases and failures."""
from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from listings.trading.models import ListingStatus
from marketplace.models import Membership
from tests.factories import (
    DemandFactory,
    ListingFactory,
    MembershipFactory,
    OrganisationFactory,
    PatentFactory,
)

#: generated cases per operation and identity; with the schema's operations this is well above 1,000
EXAMPLES_PER_OPERATION = 12
MINIMUM_CASES = 1000


@pytest.fixture
def fuzz_world(db, write_rate, monkeypatch):
    """A little of everything the API serves, and a member (holder and demand roles) with a token. Each request
    runs in its own savepoint (ATOMIC_REQUESTS), so one refused statement cannot poison the test's transaction."""
    from django.core import signals
    from django.db import close_old_connections, connection

    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    # The WSGI app sends request_started/finished, whose close_old_connections closes a connection whose autocommit
    # differs from the settings': on Postgres, the test's own connection inside its transaction (SQLite's in-memory
    # database ignores close()). Django's test client disconnects it for the same reason.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        write_rate("100000/min")
        organisation = OrganisationFactory()
        member = MembershipFactory(organisation=organisation, role=Membership.Role.HOLDER).user
        MembershipFactory(organisation=organisation, user=member, role=Membership.Role.DEMAND)
        patents = [PatentFactory(holders=[organisation]) for _ in range(3)]
        ListingFactory(organisation=organisation, created_by=member, patents=patents[:1])
        ListingFactory(organisation=organisation, created_by=member, patents=patents[1:2],
                       status=ListingStatus.DRAFT)
        DemandFactory(organisation=organisation, created_by=member)
        DemandFactory()
        yield {"token": Token.objects.create(user=member).key}
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_the_whole_api_schema_under_generated_requests(fuzz_world, capsys):
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    identities = {"anonymous": {}, "member (token)": {"Authorization": f"Token {fuzz_world['token']}"}}
    counts = {name: 0 for name in identities}
    failures: list[str] = []

    def fuzz(operation, identity: str, headers: dict) -> None:
            @hypothesis_settings(
                max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
            )
            @given(case=operation.as_strategy())
            def run(case):
                counts[identity] += 1
                response = case.call(headers=headers)
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                       headers=headers)

            try:
                run()
            except BaseException as exc:  # noqa: BLE001  collect every operation's failure (Schemathesis raises groups)
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                failures.append(f"{identity} · {operation.label}: {type(exc).__name__}: {str(exc)[:600]}")

    for identity, headers in identities.items():
        for operation in operations:
            fuzz(operation, identity, headers)

    total = sum(counts.values())
    with capsys.disabled():
        print(f"\nschemathesis: {len(operations)} operations, {total} generated cases "
              f"({', '.join(f'{name} {count}' for name, count in counts.items())}), {len(failures)} failing")
    assert not failures, "\n\n".join(failures)
    assert total >= MINIMUM_CASES
