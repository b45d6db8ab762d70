"""Property-based requests against every operation of the OpenAPI schema (schemathesis), with a
BSP's token: no answer is a 5xx, and every answer is one the schema declares: its status code,
its content type, and its body against the route's response model (every route declares one, and
every refusal the error body ``{code, message, field}``).

Bounded: a few examples per operation, derandomized (the same inputs on every run), no
shrinking: every operation is tried; the figures (inputs tried, 5xx seen) are printed."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = {"positive": 10, "negative": 6}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _runner(
    base_url: str,
    headers: dict[str, str],
    operation: Any,
    mode: str,
    examples: int,
    tried: dict[str, int],
    server_errors: list[str],
) -> Any:
    label = operation.label

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(schemathesis.GenerationMode(mode)))
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        tried[label] = tried.get(label, 0) + 1
        if response.status_code >= 500:
            server_errors.append(f"{label}: {response.status_code} {response.text[:300]}")
        case.validate_response(response, checks=CHECKS)

    return run


def test_no_5xx_and_answers_in_the_schema(world: Any) -> None:
    schema = schemathesis.openapi.from_url(f"{world.api_url}/openapi.json")
    headers = {"Authorization": f"Bearer {world.tokens['bsp1']}"}
    tried: dict[str, int] = {}
    server_errors: list[str] = []
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40

    for operation in operations:
        for mode, examples in EXAMPLES.items():
            run = _runner(world.api_url, headers, operation, mode, examples, tried, server_errors)
            try:
                run()
            except Unsatisfiable:
                continue  # no invalid input exists (an operation without parameters)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({mode}): {str(exc)[:500]}")

    total = sum(tried.values())
    print(f"\nschemathesis: {total} inputs over {len(tried)} operations; {len(server_errors)} 5xx")
    assert world.client("bsp1").get("/health").status_code == 200
    assert server_errors == []
    assert failures == []
    assert len(tried) == len(operations)  # every operation tried
