"""Make shapeshifter-uftp's HTTP transport run on the FastAPI this project uses.

shapeshifter-uftp serves through fastapi-xml, whose request handler (1.1.2) reads
``Dependant.is_coroutine_callable``; FastAPI 0.140 turned that property into the function
``_is_coroutine_callable(call)``. Restoring the property, computed by FastAPI's own function,
is enough (tested by ``tests/uftp``); nothing else of FastAPI changes. Import this module
before creating a shapeshifter-uftp service.
"""

from __future__ import annotations

import logging

from fastapi.dependencies import models

if not hasattr(models.Dependant, "is_coroutine_callable"):
    models.Dependant.is_coroutine_callable = property(  # type: ignore[attr-defined]
        lambda self: models._is_coroutine_callable(self.call)
    )

#: shapeshifter-uftp logs every message it signs or opens at DEBUG; INFO is enough here.
logging.getLogger("shapeshifter-uftp").setLevel(logging.INFO)
