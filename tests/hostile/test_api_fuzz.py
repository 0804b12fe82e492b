"""Schemathesis against the app's own /api/v1/openapi.json: no server error, and every answer is declared."""
from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as oa_checks

from engine import ProcessEngine
from engine.people.directory import SCOPES

EXAMPLES_PER_OPERATION = 60
CHECKS = [st_checks.not_a_server_error, oa_checks.status_code_conformance, oa_checks.content_type_conformance,
          oa_checks.response_schema_conformance, oa_checks.response_headers_conformance,
          oa_checks.negative_data_rejection]


@pytest.fixture
def fuzzed(app: Flask, engine: ProcessEngine, register: Any) -> dict[str, Any]:
    """A world worth probing (a complaint with open tasks) and a token holding every scope."""
    register()
    _c, token = engine.create_api_client("fuzzer", list(SCOPES), None)
    app.config["FEEDBACK_RATE_LIMIT"] = 10**6
    return {"schema": schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app),
            "headers": {"Authorization": f"Bearer {token}"}}


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_answers_declared_4xx_never_5xx(app: Flask, fuzzed: dict[str, Any]) -> None:
    operations = _operations(fuzzed["schema"])
    assert len(operations) > 20, "the document lists the API's operations"
    failures: list[str] = []
    for operation in operations:
        strategy = st.one_of(operation.as_strategy(generation_mode=mode) for mode in
                             (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE))

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def probe(case: Any) -> None:
            case.call_and_validate(headers=fuzzed["headers"], checks=CHECKS)

        try:
            probe()
        except Exception as failure:
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
