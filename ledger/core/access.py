"""The platform's access policy, written once: who sees which records and who may call what.

- The TSO and the auditor see everything.
- A BSP sees its own records; a DSO sees the PODs connected to its grid (by the DSO's EIC).
- Any other role (an infrastructure operator) sees no registry record.

Services ask these questions here and nowhere else; a refusal names the roles it needs. The
registry's lists apply them to its tables in ``ledger/registry/access.py``.
"""

from __future__ import annotations

from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.errors import Forbidden

#: The roles that read every record of the platform (never write on another's behalf).
SEE_EVERYTHING = frozenset({Role.TSO, Role.AUDITOR})

#: The roles that read other BSPs' PODs and UVAMs (a DSO those of its grid), and so their names.
BSP_READERS = frozenset({Role.TSO, Role.DSO, Role.AUDITOR})


def sees_everything(organisation: Organisation) -> bool:
    """The TSO and the auditor see every record."""
    return organisation.role in SEE_EVERYTHING


def require_role(organisation: Organisation, *roles: str, field: str | None = None) -> None:
    """Refuse (403) unless ``organisation`` holds one of ``roles``."""
    if organisation.role not in roles:
        needed = " or ".join(str(role) for role in roles)
        raise Forbidden(f"this needs the role {needed}; you are {organisation.role}", field=field)


def may_see_registry_record(
    organisation: Organisation, *, bsp_id: str, dso_eic: str | None
) -> bool:
    """A POD, UVAM or their attachments: everything for the TSO and the auditor, the grid's own
    for a DSO (``dso_eic`` None: a record of no grid, such as a UVAM), its own for a BSP."""
    if sees_everything(organisation):
        return True
    if organisation.role == Role.DSO:
        return dso_eic is not None and dso_eic == organisation.eic
    return organisation.id == bsp_id
