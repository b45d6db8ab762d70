"""UFTP signing keys: Ed25519 (libsodium ``crypto_sign``) as shapeshifter-uftp seals messages.

The platform's secret key lives in a file of its data folder (mode 0600), never in the database;
participants' public keys are stored base64-encoded, 32 bytes.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path

from nacl.bindings import crypto_sign_keypair

from ledger.core.errors import InvalidInput

PUBLIC_KEY_BYTES = 32


@dataclass(frozen=True)
class KeyPair:
    secret_key: str
    """Base64 of the 64-byte secret key (seed and public key), as shapeshifter-uftp signs with."""
    public_key: str
    """Base64 of the 32-byte public key."""

    @property
    def dns_record(self) -> str:
        """The TXT value of ``_<role>._usef.<domain>`` a participant looks the key up under."""
        return f"cs1.{self.public_key}"


def generate() -> KeyPair:
    public, secret = crypto_sign_keypair()
    return KeyPair(
        secret_key=base64.b64encode(secret).decode(), public_key=base64.b64encode(public).decode()
    )


def load_or_create(path: Path) -> KeyPair:
    """The key pair in ``path``; a new one written there (0600) if the file does not exist."""
    if not path.exists():
        pair = generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(pair.secret_key + "\n")
        return pair
    secret_key = path.read_text(encoding="ascii").strip()
    secret = base64.b64decode(secret_key)
    return KeyPair(secret_key=secret_key, public_key=base64.b64encode(secret[32:]).decode())


def public_key(text: str, *, field: str = "publicKey") -> str:
    """A participant's public key as given (base64, or ``cs1.`` + base64 as in DNS), checked."""
    value = text.strip().removeprefix("cs1.")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(f"{field} is not base64: {exc}", field=field) from exc
    if len(raw) != PUBLIC_KEY_BYTES:
        raise InvalidInput(
            f"{field} must be a {PUBLIC_KEY_BYTES}-byte Ed25519 public key, not {len(raw)} bytes",
            field=field,
        )
    return base64.b64encode(raw).decode()
