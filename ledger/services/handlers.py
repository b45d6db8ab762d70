"""Which handler executes which kind of operation: the one table of operation kinds."""

from __future__ import annotations

from ledger.services import (
    attachments,
    market,
    p2p,
    perimeter,
    pods,
    reviews,
    settlement,
    statements,
    uvams,
)
from ledger.services.operations import Handler

HANDLERS: dict[str, Handler] = {
    "pod.register": pods.PodRegister(),
    "pod.update": pods.PodUpdateHandler(),
    "pod.status": pods.PodStatusHandler(),
    "device.register": pods.DeviceRegister(),
    "attachment.create": attachments.AttachmentCreateHandler(),
    "attachment.update": attachments.AttachmentUpdateHandler(),
    "uvam.register": uvams.UvamRegister(),
    "uvam.update": uvams.UvamUpdateHandler(),
    "uvam.status": uvams.UvamStatusHandler(),
    "membership.add": uvams.MembershipAdd(),
    "membership.end": uvams.MembershipEnd(),
    "connection.set": uvams.ConnectionSet(),
    "pod.verify": reviews.PodDecisionHandler(),
    "pod.validate": reviews.PodDecisionHandler(),
    "pod.reject": reviews.PodDecisionHandler(),
    "uvam.qualify": reviews.UvamDecisionHandler(),
    "uvam.reject": reviews.UvamDecisionHandler(),
    **p2p.HANDLERS,
    **market.handlers(),
    **settlement.handlers(),
    **statements.handlers(),
    **perimeter.handlers(),
}
