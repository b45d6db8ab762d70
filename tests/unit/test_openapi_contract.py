"""The OpenAPI is a contract: every operation declares the model of its answer, every refusal
it can give with the error body ``{code, message, field}``, and a description."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.routing import APIRoute

from api.app import create_app
from api.routes import (
    audit,
    market,
    p2p,
    platform,
    pods,
    settlement,
    statements,
    tokens,
    ui,
    uvams,
)
from ledger.core.settings import Settings

#: Answers that are files, not JSON: their media types are declared instead of a model.
FILE_ANSWERS = {
    "/attachments/{attachment_id}/content",
    "/p2p/case-study/figures/{name}.png",
    "/statements/{statement_id}/export",
}
#: Reads by an id that answer an empty list, not 404, for an id they know nothing of.
LISTS_BY_ID = {"/audit/history/{resource_id}"}


def _app() -> Any:
    return create_app(SimpleNamespace(settings=Settings()))  # type: ignore[arg-type]


def _routes() -> list[APIRoute]:
    modules = (audit, market, p2p, platform, pods, settlement, statements, tokens, ui, uvams)
    return [
        route
        for module in modules
        for route in module.router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
    ]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return _app().openapi()


def test_every_json_route_declares_its_answer_model(schema: dict[str, Any]) -> None:
    routes = _routes()
    # the routers listed here are all the app serves (FastAPI keeps included routers nested,
    # so the app's own route list cannot be walked): a router left out would escape the check
    listed = {(method, route.path) for route in routes for method in route.methods}
    served = {(method, path) for method, path, _ in _operations(schema)}
    assert listed == served
    untyped = [
        f"{sorted(r.methods)} {r.path}"
        for r in routes
        if r.response_model is None and r.path not in FILE_ANSWERS
    ]
    assert all(r.response_model_exclude_unset for r in routes)
    typed = sum(1 for r in routes if r.response_model is not None)
    files = len(FILE_ANSWERS)
    print(f"\n{len(routes)} routes: {typed} declare a response model, {files} answer files")
    assert untyped == []


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_declares_its_refusals_with_the_error_body(
    schema: dict[str, Any],
) -> None:
    missing = []
    for method, path, operation in _operations(schema):
        answers = operation["responses"]
        required = {"422", "503"} if path == "/health" else {"401", "403", "422", "503"}
        if "{" in path and path not in LISTS_BY_ID:
            required.add("404")
        if method in {"POST", "PUT", "PATCH"} and "requestBody" in operation:
            required |= {"400", "413"}
        for status in sorted(required - set(answers)):
            missing.append(f"{method} {path}: {status}")
        for status, answer in answers.items():
            if status.startswith(("4", "5")):
                body = answer["content"]["application/json"]["schema"]
                assert body["$ref"].rsplit("/", 1)[1] in {
                    "ErrorBody",
                    "MassLoadRefused",
                    "HTTPValidationError",
                }, f"{method} {path} {status}"
    assert missing == []


def test_validation_errors_are_documented_as_the_error_body(schema: dict[str, Any]) -> None:
    refs = {
        op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
        for _, _, op in _operations(schema)
    }
    assert refs <= {"#/components/schemas/ErrorBody", "#/components/schemas/MassLoadRefused"}


def test_operation_ids_are_unique(schema: dict[str, Any]) -> None:
    """FastAPI only warns on a duplicate operationId; a generated client then drops routes."""
    ids = [
        operation["operationId"]
        for path in schema["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    assert len(ids) > 90
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []


def test_every_operation_is_described(schema: dict[str, Any]) -> None:
    bare = [
        f"{method} {path}"
        for method, path, op in _operations(schema)
        if not op.get("summary") and not op.get("description")
    ]
    assert bare == []


def test_the_error_body_names_code_message_and_field(schema: dict[str, Any]) -> None:
    error = schema["components"]["schemas"]["ErrorBody"]
    assert {"code", "message", "field"} <= set(error["properties"])
    assert error["required"] == ["code", "message"]


def test_the_pod_answer_is_in_camel_case(schema: dict[str, Any]) -> None:
    pod = schema["components"]["schemas"]["PodPublic"]["properties"]
    assert {"meteringPointId", "chainKey", "recordHash", "contractedPowerSecondaryPOD"} <= set(pod)
    accepted = schema["components"]["schemas"]["PodAccepted"]
    assert {"operationId", "podId", "targetId", "links"} <= set(accepted["required"])
