"""Property-based API tests generated from the OpenAPI document: no 5xx for any generated input,
and every response matches its documented status and schema (on both databases)."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from tests.conftest import ScratchDatabase
from tests.pricing.conftest import define_demo_series

# What the API promises: never a server error, and every answer as documented (status, content
# type, schema). Rejecting a schema-valid but meaningless request (start after end, a forged
# cursor) with a documented 422 is allowed, so "positive data acceptance" is not among them.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def admin_key(db: ScratchDatabase) -> str:
    define_demo_series(db, "AG-INGOT-CN-SPOT", "AG-INGOT-CN-PREMIUM")
    with db.transaction() as session:
        accounts.add_user(session, "admin@desk.cn", role=Role.ADMIN, plan="enterprise", actor="t")
        return accounts.create_api_key(session, "admin@desk.cn", Scope.PUBLISH, actor="t").secret


def test_api_conforms_to_its_openapi_document(app: FastAPI, admin_key: str) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {admin_key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
