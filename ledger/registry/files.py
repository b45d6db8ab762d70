"""Content-addressed storage of attachment files, outside the database and off chain."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def store(directory: Path, content: bytes) -> str:
    """Write ``content`` under its SHA-256 (once) and return the hex digest."""
    digest = hashlib.sha256(content).hexdigest()
    path = path_of(directory, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".tmp{os.getpid()}")
        temporary.write_bytes(content)
        temporary.replace(path)
    return digest


def path_of(directory: Path, digest: str) -> Path:
    return directory / digest[:2] / digest[2:4] / digest


def load(directory: Path, digest: str) -> bytes:
    return path_of(directory, digest).read_bytes()
