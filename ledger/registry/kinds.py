"""The registry's operation kinds and their handlers: PODs, devices, attachments, UVAMs,
memberships, connections and the reviews of PODs and UVAMs."""

from __future__ import annotations

from ledger.core.handler import Handler
from ledger.registry import attachments, pods, reviews, uvams


def handlers() -> dict[str, Handler]:
    """Every registry operation kind and its handler (a review handler serves several kinds)."""
    return {
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
    }
