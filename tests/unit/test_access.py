"""The access policy has one home (``ledger/core/access.py``): its rules, and no second copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ledger.core.access import may_see_registry_record, require_role, sees_everything
from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.errors import Forbidden

ROOT = Path(__file__).resolve().parents[2]
#: Spellings of "the TSO and the auditor" as a set of roles, in either order, quoted or enum.
_SEES_ALL = re.compile(r"""\{\s*(Role\.|")?(TSO|AUDITOR)"?\s*,\s*(Role\.|")?(TSO|AUDITOR)"?\s*\}""")


def _org(role: Role, *, eic: str = "26X00000105128-9") -> Organisation:
    return Organisation(id=f"org-{role}", name=str(role), role=role, eic=eic, address="0x0")


@pytest.mark.parametrize("role", list(Role))
def test_only_the_tso_and_the_auditor_see_everything(role: Role) -> None:
    assert sees_everything(_org(role)) is (role in {Role.TSO, Role.AUDITOR})


def test_registry_records_a_bsp_its_own_a_dso_its_grid() -> None:
    bsp, dso = _org(Role.BSP), _org(Role.DSO)
    assert may_see_registry_record(bsp, bsp_id=bsp.id, dso_eic=None)
    assert not may_see_registry_record(bsp, bsp_id="another", dso_eic=dso.eic)
    assert may_see_registry_record(dso, bsp_id="another", dso_eic=dso.eic)
    assert not may_see_registry_record(dso, bsp_id="another", dso_eic="10X1001A1001A345")
    assert not may_see_registry_record(dso, bsp_id="another", dso_eic=None)
    assert not may_see_registry_record(_org(Role.OPERATOR), bsp_id="x", dso_eic=dso.eic)
    assert may_see_registry_record(_org(Role.AUDITOR), bsp_id="x", dso_eic=None)


def test_require_role_names_the_roles_and_the_field() -> None:
    require_role(_org(Role.TSO), Role.TSO, Role.AUDITOR)
    with pytest.raises(Forbidden) as refused:
        require_role(_org(Role.BSP), Role.AUDITOR, Role.TSO, field="q")
    assert refused.value.message == "this needs the role AUDITOR or TSO; you are BSP"
    assert refused.value.field == "q"


def test_the_policy_is_written_once() -> None:
    copies = []
    for path in [*ROOT.glob("ledger/**/*.py"), *ROOT.glob("api/**/*.py")]:
        if path.name == "access.py":
            continue
        text = path.read_text()
        if _SEES_ALL.search(text) or re.search(r"^def require_role\b", text, re.M):
            copies.append(str(path.relative_to(ROOT)))
    assert copies == []
