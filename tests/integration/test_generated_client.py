"""The OpenAPI is enough for a client: a Python client generated from the running API's schema
(openapi-python-client) registers a POD, follows its operation until it is on chain, reads the
POD back as a typed model, and gets a refusal as the typed error body."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.integration import payloads

PACKAGE = "cbp_client"
#: The generator has no model for a PNG answer: it is read as bytes, like any file.
CONFIG = f"""package_name_override: {PACKAGE}
project_name_override: {PACKAGE}
post_hooks: []
content_type_overrides:
  image/png: application/octet-stream
"""


@pytest.fixture(scope="module")
def client_package(world: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("generated")
    schema = folder / "openapi.json"
    schema.write_bytes(world.client("bsp1").get("/openapi.json").raise_for_status().content)
    config = folder / "config.yaml"
    config.write_text(CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    command = [str(generator), "generate", "--path", str(schema), "--config", str(config)]
    command += ["--output-path", str(folder / PACKAGE), "--meta", "none"]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Every schema and operation was understood: nothing was left out of the client.
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_a_generated_client_registers_a_pod(world: Any, client_package: ModuleType) -> None:
    client = _module("client").AuthenticatedClient(
        base_url=world.api_url, token=world.tokens["bsp1"], raise_on_unexpected_status=True
    )
    models = _module("models")
    register_pod = _module("api.po_ds.register_pod")
    get_operation = _module("api.platform.get_operation")
    pod_detail = _module("api.po_ds.pod_detail")

    body = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))
    answer = register_pod.sync_detailed(client=client, body=models.PodCreate.from_dict(body))
    assert answer.status_code == 202
    accepted = answer.parsed
    assert isinstance(accepted, models.PodAccepted)
    assert accepted.kind == "pod.register"
    assert accepted.pod_id == accepted.target_id

    # Accepted is not mined: follow the operation until the chain has it.
    deadline = time.monotonic() + 60
    operation = get_operation.sync(operation_id=accepted.operation_id, client=client)
    while operation.status not in {"succeeded", "failed"} and time.monotonic() < deadline:
        time.sleep(0.2)
        operation = get_operation.sync(operation_id=accepted.operation_id, client=client)
    assert isinstance(operation, models.OperationPublic)
    assert operation.status == "succeeded", operation.to_dict()
    assert operation.transaction_hashes
    assert operation.block_number

    read = pod_detail.sync_detailed(pod_id=accepted.pod_id, client=client)
    pod = read.parsed
    assert isinstance(pod, models.PodDetail)
    assert (pod.metering_point_id, pod.status) == (body["meteringPointId"], "Registered")
    assert pod.chain_key.startswith("0x")
    assert pod.flex_devices == []
    # A field registered without a value is left out of the answer, as before the models.
    assert "accountingPointId" not in read.content.decode()

    refused = register_pod.sync_detailed(
        client=client, body=models.PodCreate.from_dict({**body, "meteringPointId": "IT001E1"})
    )
    assert refused.status_code == 422
    assert isinstance(refused.parsed, models.ErrorBody)
    assert refused.parsed.field == "meteringPointId"
