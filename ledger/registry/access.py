"""The registry's lists narrowed to what an organisation may see, by the access policy of
``ledger/core/access.py``."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import col
from sqlmodel.sql.expression import SelectOfScalar

from ledger.core.access import sees_everything
from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.registry.tables import Pod, Uvam

_Row = TypeVar("_Row")


def visible_pods(query: SelectOfScalar[_Row], organisation: Organisation) -> SelectOfScalar[_Row]:
    """``query`` (over :class:`Pod`) narrowed to the PODs ``organisation`` may see."""
    if sees_everything(organisation):
        return query
    if organisation.role == Role.BSP:
        return query.where(Pod.bsp_id == organisation.id)
    if organisation.role == Role.DSO:
        return query.where(Pod.dso_eic == organisation.eic)
    return query.where(col(Pod.id).is_(None))


def visible_uvams(query: SelectOfScalar[_Row], organisation: Organisation) -> SelectOfScalar[_Row]:
    """``query`` (over :class:`Uvam`) narrowed to the UVAMs ``organisation`` lists: a BSP its
    own, the TSO and the auditor all, any other role none (a DSO reaches a UVAM through its
    PODs)."""
    if sees_everything(organisation):
        return query
    if organisation.role == Role.BSP:
        return query.where(Uvam.bsp_id == organisation.id)
    return query.where(col(Uvam.id).is_(None))
