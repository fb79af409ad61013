"""ID numbers at rest: sealed with AES-GCM under a per-database key, found by a keyed hash.

The mechanism behind the ``SealedIdNumber`` column type (``central.db.types``):
the database only ever holds ``v1:<nonce+ciphertext>``; exact look-ups (import
idempotency, the uniqueness of a guard's number, ID-card check-ins) use the
``id_number_hash`` column beside it, HMAC-SHA256 of the number under a second
key derived from the same master key. Who sees a number in clear is decided in
``central.access.scope`` (police and administrator; masked for others).

The key is per database: ``bind(engine, cipher)`` attaches it to an engine
(``central.db.engine.make_engine(url, id_cipher=...)``); the command-line tools
set a process default from the settings they loaded (``use_by_default``).
Settings: ``id_protection.key`` (``GUARDPOST_CENTRAL_ID_PROTECTION__KEY``), 32
bytes in base64; in demo mode, and only there, a published demo key stands in.
The format ``v1:`` is stable: the migrations read and write it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Dialect, Engine

PREFIX = "v1:"
SEALED_LENGTH = 96  # "v1:" + base64 of 12-byte nonce, up to 20 bytes of number, 16-byte tag
_AAD = b"guardpost.id_number/1"
_BIOMETRIC_AAD = b"guardpost.biometric/1"
# Published in the docs: it protects nothing, and is refused outside demo mode.
DEMO_KEY = base64.urlsafe_b64encode(b"guardpost-demo-id-key-not-secret").decode()


class IdProtectionError(ValueError):
    """No key, a key that cannot be used, or a stored number the key does not open."""


def new_key() -> str:
    """A fresh key for ``id_protection.key``."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"guardpost id_number " + purpose).derive(master)


@dataclass(frozen=True, slots=True)
class IdCipher:
    """Seals, opens and hashes ID numbers under one master key (two keys derived from it)."""

    master: bytes = field(repr=False)
    _aead: AESGCM = field(init=False, repr=False, compare=False)
    _mac_key: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.master) != 32:
            raise IdProtectionError("身份证号密钥须为32字节 / id_protection.key must be 32 bytes (base64)")
        object.__setattr__(self, "_aead", AESGCM(_derive(self.master, b"seal v1")))
        object.__setattr__(self, "_mac_key", _derive(self.master, b"lookup v1"))

    @classmethod
    def from_text(cls, text: str) -> IdCipher:
        try:
            raw = base64.b64decode(text.strip() + "=" * (-len(text.strip()) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise IdProtectionError("身份证号密钥不是 base64 / id_protection.key is not base64") from exc
        return cls(raw)

    def seal(self, number: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, normalise(number).encode(), _AAD)
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            raise IdProtectionError("库中身份证号未加密 / a stored ID number is not sealed: run the migrations")
        body = stored[len(PREFIX) :]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        try:
            return self._aead.decrypt(raw[:12], raw[12:], _AAD).decode()
        except InvalidTag as exc:
            raise IdProtectionError(
                "身份证号无法解密：密钥不符 / a stored ID number does not open with this id_protection.key"
            ) from exc

    def seal_bytes(self, data: bytes) -> str:
        """Biometric templates at rest: sealed like ID numbers, under their own associated data."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, data, _BIOMETRIC_AAD)
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open_bytes(self, stored: str) -> bytes:
        body = stored[len(PREFIX) :]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        try:
            return self._aead.decrypt(raw[:12], raw[12:], _BIOMETRIC_AAD)
        except InvalidTag as exc:
            raise IdProtectionError(
                "指纹模板无法解密：密钥不符 / a stored template does not open with this key"
            ) from exc

    def lookup_hash(self, number: str) -> str:
        """HMAC-SHA256 of the number: equal numbers, equal hashes; the number is not recoverable."""
        return hmac.new(self._mac_key, normalise(number).encode(), hashlib.sha256).hexdigest()


def normalise(number: str) -> str:
    return number.strip().upper()  # the check character X is written either way


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


DEMO_CIPHER = IdCipher.from_text(DEMO_KEY)


def cipher_from_key(key: str | None, *, demo: bool) -> IdCipher:
    """The cipher of ``id_protection.key``; the demo key in demo mode; IdProtectionError otherwise."""
    if key is None:
        if demo:
            return DEMO_CIPHER
        raise IdProtectionError(
            "未设置身份证号加密密钥 / id_protection.key is not set "
            "(GUARDPOST_CENTRAL_ID_PROTECTION__KEY; `guardpost central id-key` prints a new one)"
        )
    cipher = IdCipher.from_text(key)
    if cipher == DEMO_CIPHER and not demo:
        raise IdProtectionError("演示密钥不可用于正式运行 / id_protection.key is the published demo key")
    return cipher


# --- which key a database uses -----------------------------------------------------------

_BOUND: WeakKeyDictionary[Dialect, IdCipher] = WeakKeyDictionary()  # an engine's dialect is its own
_process_default: list[IdCipher] = []


def bind(engine: Engine, cipher: IdCipher) -> Engine:
    """Use ``cipher`` for every ID number read or written through ``engine``."""
    _BOUND[engine.dialect] = cipher
    return engine


def use_by_default(cipher: IdCipher | None) -> None:
    """The cipher of engines bound to none (set by a command from its settings); None clears it."""
    _process_default[:] = [cipher] if cipher is not None else []


def cipher_for(dialect: Dialect) -> IdCipher:
    cipher = _BOUND.get(dialect) or next(iter(_process_default), None)
    if cipher is None:
        raise IdProtectionError("此数据库连接未配置身份证号密钥 / no id_protection key for this database engine")
    return cipher


def lookup_hash(bind_of: Engine | Any, number: str) -> str:
    """The ``id_number_hash`` to look ``number`` up by, for an engine or a session's bind."""
    return cipher_for(bind_of.dialect).lookup_hash(number)
