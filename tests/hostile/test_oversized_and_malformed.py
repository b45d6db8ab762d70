"""Oversized bodies and files, malformed CSV, wrong encodings and injection strings: each answered
with a clear 4xx (naming the field where there is one), nothing stored, nothing crashed (the
platform still answers /health afterwards).

Free-text fields (resourceName, locationId, brpContractId) take any printable text: SQL, markup
or a path in them is data, stored and returned verbatim, never interpreted; control characters
(NUL included) and overlong values are refused there too."""

from __future__ import annotations

import codecs
import csv
import io
import json
from typing import Any

import pytest

from api.limits import MAX_JSON_BODY_BYTES, MIB
from ledger.market.schemas import MAX_BIDS_PER_CALL
from ledger.registry.mass_load import pods_to_csv
from ledger.registry.schemas import MAX_ATTACHMENT_BYTES, PodCreate
from tests.integration import payloads
from tests.integration.flows import count, register_pod, succeeded

SQL = "'; DROP TABLE pod; --"
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PATH = "../../../../etc/passwd"
NUL = "IT001E\x0012345678"
LONG = "x" * 100_000
INJECTIONS = {"sql": SQL, "html": HTML, "path": PATH, "nul": NUL, "long": LONG}
FREE_TEXT = ("resourceName", "locationId", "brpContractId")
STRUCTURED = (
    "receiverId",
    "receiverCodingSchemeType",
    "flexibilityServiceProviderId",
    "flexibilityServiceProviderCodingSchemeType",
    "meteringPointId",
    "accountingPointId",
    "brpConsumptionCodingSchemeType",
    "direction",
    "gridVoltageLevel",
    "distributionGridOperatorName",
    "startDateTime",
    "endDateTime",
)


def _snapshot(world: Any) -> tuple[int, int]:
    return count(world, "bsp1", "/pods"), count(world, "bsp1", "/operations")


def _refused(response: Any, field: str | None, statuses: tuple[int, ...] = (422,)) -> dict:
    assert response.status_code in statuses, response.text[:500]
    body: dict[str, Any] = response.json()
    assert body["code"] == "invalid_input", body
    assert body["message"], body
    if field is not None:
        assert body["field"] == field, {k: v for k, v in body.items() if k != "errors"}
    return body


@pytest.fixture(autouse=True)
def _still_alive(world):
    yield
    assert world.client("bsp1").get("/health").status_code == 200


@pytest.fixture(scope="module")
def pod_id(world) -> str:
    return register_pod(world, "bsp1", "dso1")


# ------------------------------------------------------------------ injection, every text field


@pytest.mark.parametrize("injection", INJECTIONS, ids=list(INJECTIONS))
@pytest.mark.parametrize("field", STRUCTURED)
def test_injection_in_a_structured_field_is_refused(world, field, injection):
    body = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))
    body[field] = INJECTIONS[injection]
    before = _snapshot(world)

    _refused(world.client("bsp1").post("/pods", json=body), field)

    assert _snapshot(world) == before


@pytest.mark.parametrize("injection", ["nul", "long", "tab"])
@pytest.mark.parametrize("field", FREE_TEXT)
def test_control_characters_and_overlong_free_text_are_refused(world, field, injection):
    body = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))
    body[field] = {"tab": "a\tb\x1b[31m", **INJECTIONS}[injection]
    before = _snapshot(world)

    _refused(world.client("bsp1").post("/pods", json=body), field)
    _refused(world.client("bsp1").post("/pods/mass-load", files=_csv_file([body])), None)

    assert _snapshot(world) == before


@pytest.mark.parametrize("injection", ["sql", "html", "path"])
def test_markup_sql_and_paths_in_free_text_are_stored_as_inert_data(world, injection):
    value = INJECTIONS[injection]
    client = world.client("bsp1")
    body = payloads.pod_body(
        world.eic("bsp1"), world.eic("dso1"), **dict.fromkeys(FREE_TEXT, value)
    )

    pod_id = succeeded(world, "bsp1", client.post("/pods", json=body))["podId"]

    detail = client.get(f"/pods/{pod_id}").json()
    assert [detail[field] for field in FREE_TEXT] == [value] * 3
    found = client.get("/pods", params={"q": value[:100]}).json()
    assert pod_id in [pod["id"] for pod in found["data"]]
    assert client.get("/pods", params={"limit": 1}).status_code == 200  # the table is still there


def test_injection_in_path_and_query_parameters(world):
    client = world.client("bsp1")
    before = _snapshot(world)
    for value in (SQL, HTML, "..%2F..%2Fetc%2Fpasswd", "%00", "x" * 5000):
        for response in (
            client.get(f"/pods/{value}"),
            client.patch(f"/pods/{value}", json={"resourceName": "x"}),
            client.get(f"/attachments/{value}/content"),
            client.get(f"/operations/{value}"),
        ):
            assert 400 <= response.status_code < 500, (value, response.text[:300])
            assert response.json()["code"], response.text[:300]
        listed = client.get("/pods", params={"status": value, "uvam": value})
        assert listed.status_code == 200, listed.text[:300]
        assert listed.json()["data"] == []  # a filter, matched literally: nothing
    assert client.get("/ui/../../../../etc/passwd").status_code in (400, 404)
    for name in ("status", "q", "uvam"):  # PostgreSQL cannot compare with a NUL: once a 500
        _refused(client.get("/pods", params={name: "a\x00b"}), name)
    _refused(client.get("/operations/a%00b"), "path")
    assert client.get("/pods", params={"q": "x" * 101}).status_code == 422
    assert _snapshot(world) == before


# ------------------------------------------------------------------ oversized JSON and files


def _too_large(response: Any) -> None:
    assert response.status_code == 413, response.text[:500]
    assert response.json()["code"] == "too_large"
    assert f"{MAX_JSON_BODY_BYTES // MIB} MiB" in response.json()["message"]


def test_oversized_json_bodies_are_refused_before_parsing(world):
    client = world.client("bsp1")
    before = _snapshot(world)
    body = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"), resourceName="x" * (12 * MIB))
    _too_large(client.post("/pods", json=body))
    padded = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"), padding="y" * (12 * MIB))
    _too_large(client.post("/pods", json=padded))
    many = {"bids": [{"uvamId": "u"}] * 200_000}
    refused = client.post("/market/bids", json=many)
    assert refused.status_code == 422, refused.text[:300]
    assert refused.json()["field"] == "bids"
    assert str(MAX_BIDS_PER_CALL) in refused.json()["message"]
    assert _snapshot(world) == before


def test_a_chunked_body_without_a_length_is_cut_at_the_cap(world):
    """No Content-Length to check up front: the body is counted as it arrives."""
    before = _snapshot(world)
    chunk = b" " * MIB

    def body() -> Any:
        yield b'{"resourceName": "x"'
        for _ in range(MAX_JSON_BODY_BYTES // MIB + 4):
            yield chunk
        yield b"}"

    response = world.client("bsp1").post(
        "/pods", content=body(), headers={"Content-Type": "application/json"}
    )
    _too_large(response)
    assert _snapshot(world) == before


def test_a_json_body_just_under_the_cap_reaches_validation(world):
    body = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"), resourceName="x" * (7 * MIB))
    _refused(world.client("bsp1").post("/pods", json=body), "resourceName")


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_json_is_refused(world, depth):
    before = _snapshot(world)
    content = '{"resourceName": ' + "[" * depth + "]" * depth + "}"
    response = world.client("bsp1").post(
        "/pods", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 413, 422), response.text[:300]
    assert response.json()["code"] == "invalid_input"
    assert _snapshot(world) == before


def test_attachment_over_5_mib_is_refused(world, pod_id):
    client = world.client("bsp1")
    before = _snapshot(world)
    content = b"%PDF-1.4\n" + b"0" * (MAX_ATTACHMENT_BYTES + 1 - 9)
    body = payloads.attachment_body(world.eic("bsp1"), content)
    _refused(client.post(f"/pods/{pod_id}/attachments", json=body), "documentFile")
    body = payloads.attachment_body(world.eic("bsp1"), content * 3)  # past the JSON body cap
    _too_large(client.post(f"/pods/{pod_id}/attachments", json=body))
    assert client.get(f"/pods/{pod_id}").json()["attachments"] == []
    assert _snapshot(world) == before


def _csv_file(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """A mass-load CSV of POD bodies, written without validation (so bad values reach the API)."""
    header = list(bodies[0])
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([str(body.get(k, "")) for k in header] for body in bodies)
    return {"file": ("pods.csv", buffer.getvalue().encode(), "text/csv")}


def _valid_csv(world, n: int) -> bytes:
    pods = [
        PodCreate.model_validate(payloads.pod_body(world.eic("bsp1"), world.eic("dso1")))
        for _ in range(n)
    ]
    return pods_to_csv(pods)


def test_csv_over_10_mib_is_refused(world):
    data = _valid_csv(world, 1)
    padding = b"\n" * (10 * MIB)  # blank lines: valid CSV, only too big
    before = _snapshot(world)

    response = world.client("bsp1").post(
        "/pods/mass-load", files={"file": ("pods.csv", data + padding, "text/csv")}
    )

    _refused(response, "file", (413, 422))
    assert _snapshot(world) == before


# ------------------------------------------------------------------ malformed CSV, encodings


def _malformed(world) -> dict[str, bytes]:
    valid = _valid_csv(world, 2).decode()
    header, *rows = valid.splitlines()
    return {
        "empty": b"",
        "header only": header.encode() + b"\n",
        "no header": "\n".join(rows).encode(),
        "unknown column": (header + ",colour\n" + rows[0] + ",blue\n").encode(),
        "duplicate column": (header + ",resourceName\n" + rows[0] + ",again\n").encode(),
        "short row": (header + "\n" + rows[0].rsplit(",", 3)[0] + "\n").encode(),
        "long row": (header + "\n" + rows[0] + ",extra,cells\n").encode(),
        "unbalanced quote": (header + '\n"' + rows[0] + "\n").encode(),
        "semicolons": (header.replace(",", ";") + "\n" + rows[0].replace(",", ";")).encode(),
        "binary": bytes(range(256)) * 64,
        "nul bytes": valid.replace(",", ",\x00", 3).encode(),
        "utf-16": codecs.BOM_UTF16_LE + valid.replace("Site", "Sité").encode("utf-16-le"),
        "utf-16 no bom": valid.encode("utf-16-be"),
        "latin-1": valid.replace("Site", "Sité").encode("latin-1"),
        "json": json.dumps(payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))).encode(),
        "zip": b"PK\x03\x04" + b"\x00" * 200,
    }


MALFORMED = [
    "empty",
    "header only",
    "no header",
    "unknown column",
    "duplicate column",
    "short row",
    "long row",
    "unbalanced quote",
    "semicolons",
    "binary",
    "nul bytes",
    "utf-16",
    "utf-16 no bom",
    "latin-1",
    "json",
    "zip",
]


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_csv_is_refused_with_a_report(world, case):
    data = _malformed(world)[case]
    before = _snapshot(world)

    response = world.client("bsp1").post(
        "/pods/mass-load", files={"file": ("pods.csv", data, "text/csv")}
    )

    assert response.status_code == 422, response.text[:500]
    body = response.json()
    assert body["code"] == "invalid_input"
    row_errors = [e for row in body.get("rows", []) for e in row["errors"]]
    if body.get("field") == "file":  # the file as a whole
        assert body.get("fileErrors", True), body
    else:  # each row, naming its fields
        assert row_errors, body
        assert all(e["field"] for e in row_errors), body
    assert body.get("acceptedCount", 0) == 0
    assert _snapshot(world) == before


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "utf-32", "cp1252"])
def test_json_in_a_wrong_encoding_is_refused(world, encoding):
    body = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"), resourceName="Sité «n°1»")
    before = _snapshot(world)

    response = world.client("bsp1").post(
        "/pods",
        content=json.dumps(body, ensure_ascii=False).encode(encoding),
        headers={"Content-Type": "application/json"},
    )

    if response.status_code == 202:  # a UTF-16/32 body is valid JSON (RFC 8259 detection)
        pod_id = succeeded(world, "bsp1", response)["podId"]
        detail = world.client("bsp1").get(f"/pods/{pod_id}").json()
        assert detail["resourceName"] == "Sité «n°1»"
        return
    assert response.status_code in (400, 415, 422), response.text[:300]
    assert response.json()["code"] == "invalid_input"
    assert _snapshot(world) == before


def test_wrong_content_types_are_refused(world):
    client = world.client("bsp1")
    body = json.dumps(payloads.pod_body(world.eic("bsp1"), world.eic("dso1")))
    before = _snapshot(world)
    for content_type in ("text/plain", "application/xml", "multipart/form-data; boundary=x"):
        response = client.post("/pods", content=body, headers={"Content-Type": content_type})
        assert response.status_code in (400, 415, 422), (content_type, response.text[:300])
    response = client.post("/pods/mass-load", json={"file": "pods.csv"})
    assert response.status_code == 422, response.text[:300]
    assert _snapshot(world) == before


NUL_ID = "a\x00b"
NUL_BODIES = [
    ("POST", "/p2p/trades/confirm", {"tradeIds": [NUL_ID]}),
    ("POST", "/market/bids/withdraw", {"bidIds": [NUL_ID]}),
    ("POST", "/market/activations/x/acknowledgement", {"accept": False, "reasons": [NUL_ID]}),
    ("PATCH", "/uvams/x/members/end", {"relationId": NUL_ID}),
    ("POST", "/p2p/windows/x/trades", {"tradeIds": [NUL_ID]}),
    ("PUT", "/organisations/me/callback", {"callbackUrl": f"http://127.0.0.1/{NUL_ID}"}),
]


@pytest.mark.parametrize(("method", "path", "body"), NUL_BODIES, ids=[c[1] for c in NUL_BODIES])
def test_nul_in_identifiers_of_json_bodies_is_a_4xx(world, method, path, body):
    before = _snapshot(world)

    response = world.client("bsp1").request(method, path, json=body)

    assert 400 <= response.status_code < 500, response.text[:300]
    assert response.json()["code"], response.text[:300]
    assert _snapshot(world) == before
    assert world.client("bsp1").get("/organisations/me").json()["callbackUrl"] is None
