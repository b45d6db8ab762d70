"""Steps the browser tests share: filling the guided POD form, and API shortcuts that bring a
resource to a state a test starts from (the browser tests drive the API the way the UI does)."""

from __future__ import annotations

from typing import Any

from tests.conftest import DSO1_EIC
from tests.integration import flows, payloads


def _one_page_pdf(text: str) -> bytes:
    """A small but complete PDF (one page of text, with its cross-reference table)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


#: A one-page PDF, uploaded from the browser as an in-memory file.
PDF = _one_page_pdf("Single-line diagram - POD test site")


def fill_pod_form(
    page: Any, *, code: str, name: str, contracted: int = 80, up: int = 30, down: int = 40
) -> None:
    """Fill the guided "Register a POD" form (labels, as a person would).

    Scoped to the form, by exact accessible name: the list page it is opened from has a
    "POD code or name" search field, which a loose label match would fill before the form
    has rendered.
    """
    form = page.get_by_role("form", name="Register a POD")
    form.get_by_role("textbox", name="POD code", exact=True).fill(code)
    form.get_by_role("textbox", name="Resource name", exact=True).fill(name)
    form.get_by_role("combobox", name="Type of POD", exact=True).select_option("mixed")
    form.get_by_role("combobox", name="Voltage level", exact=True).select_option("LV")
    form.get_by_role("textbox", name="Location", exact=True).fill("Milano Nord")
    form.get_by_role("spinbutton", name="Contracted power (kW)", exact=True).fill(str(contracted))
    form.get_by_role("spinbutton", name="Maximum flex up (kW)", exact=True).fill(str(up))
    form.get_by_role("spinbutton", name="Maximum flex down (kW)", exact=True).fill(str(down))
    form.get_by_role(
        "combobox", name="Distribution system operator (DSO)", exact=True
    ).select_option(DSO1_EIC)


def decide_pod(world: Any, slug: str, pod_id: str, approve: bool = True, *reasons: str) -> None:
    body = payloads.decision_body(approve, *reasons)
    flows.succeeded(world, slug, world.client(slug).post(f"/pods/{pod_id}/review", json=body))


def validated_pod_by_api(
    world: Any, slug: str = "bsp1", *, devices: list[str] | None = None, **changes: Any
) -> tuple[str, str]:
    """A POD taken through the whole review by API calls; returns (id, POD code). Given a
    ``devices`` list, the POD gets an EV charger first, whose id is appended to it."""
    code = payloads.metering_point_id()
    pod_id = flows.register_pod(world, slug, "dso1", meteringPointId=code, **changes)
    if devices is not None:
        response = world.client(slug).post(
            f"/pods/{pod_id}/flex-devices", json=payloads.flex_device_body(pod_id)
        )
        flows.succeeded(world, slug, response)
        devices.append(response.json()["deviceId"])
    flows.set_pod_status(world, slug, pod_id, "Open")
    flows.set_pod_status(world, slug, pod_id, "UnderReview")
    decide_pod(world, "tso", pod_id)
    decide_pod(world, "dso1", pod_id)
    detail = world.wait_for_status(slug, f"/pods/{pod_id}", {"Validated"})
    assert detail["status"] == "Validated", detail
    return pod_id, code
