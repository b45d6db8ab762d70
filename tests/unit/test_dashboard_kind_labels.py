"""The dashboard's operation tray names every operation kind the backend can produce.

The kinds come from the one table of handlers (``ledger.capabilities.HANDLERS``); the
labels from ``KIND_LABELS`` in ``connector_ui/js/operations.js``. A kind added to the backend
without a label would show in the tray as its raw name: this test fails first.
"""

from __future__ import annotations

import re

from ledger.capabilities import HANDLERS
from ledger.core.settings import PROJECT_ROOT

OPERATIONS_JS = PROJECT_ROOT / "connector_ui" / "js" / "operations.js"


def _kind_labels() -> dict[str, str]:
    source = OPERATIONS_JS.read_text(encoding="utf-8")
    block = re.search(r"export const KIND_LABELS = \{(.*?)\n\};", source, re.DOTALL)
    assert block, "KIND_LABELS not found in operations.js"
    pairs = re.findall(r'^\s*"([^"]+)":\s*"([^"]*)",?\s*$', block.group(1), re.MULTILINE)
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(pairs) == len(lines), "every KIND_LABELS line is one quoted kind and label"
    return dict(pairs)


def test_every_backend_kind_has_a_label() -> None:
    labels = _kind_labels()
    missing = sorted(set(HANDLERS) - set(labels))
    assert not missing, f"operation kinds without a label in operations.js: {missing}"


def test_labels_are_readable_and_name_real_kinds() -> None:
    labels = _kind_labels()
    stale = sorted(set(labels) - set(HANDLERS))
    assert not stale, f"labels for kinds no handler produces: {stale}"
    assert all(label.strip() and label != kind for kind, label in labels.items())
    assert len(set(labels.values())) == len(labels), "two kinds share a label"
