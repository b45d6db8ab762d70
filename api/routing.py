"""The route class of every API route: answers keep exactly the keys their view gives.

A response model documents and checks an answer; read with ``exclude_unset``, it writes back the
keys the ``*_view`` dict had (a field a view leaves out stays out, a ``null`` stays ``null``),
so declaring a model never changes the JSON a client gets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute


class PublicRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().__init__(path, endpoint, **kwargs)
