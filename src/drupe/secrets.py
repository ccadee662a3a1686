"""API keys at rest: Fernet-encrypted with a key from `DRUPE_SECRET_KEY` or `DRUPE_HOME/secret.key`."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from drupe.errors import DrupeError


DECRYPTED_CACHE_SIZE = 256


class Vault:
    """Encrypts and decrypts the secrets drupe stores."""

    def __init__(self, key: bytes) -> None:
        from cryptography.fernet import Fernet

        self._decrypted: dict[str, str] = {}
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise DrupeError(
                "The secret key is not a valid Fernet key (32 url-safe base64 bytes). "
                "Fix DRUPE_SECRET_KEY or restore DRUPE_HOME/secret.key."
            ) from exc

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Remembered per token (each encryption makes a new one): every turn looks its
        provider up, and a Fernet decryption would be most of that lookup's cost."""
        from cryptography.fernet import InvalidToken

        if token in self._decrypted:
            return self._decrypted[token]
        try:
            text = self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise DrupeError(
                "Stored API keys cannot be decrypted with this secret key. "
                "Was DRUPE_SECRET_KEY or DRUPE_HOME/secret.key changed? Restore the original one."
            ) from exc
        if len(self._decrypted) >= DECRYPTED_CACHE_SIZE:
            self._decrypted.clear()
        self._decrypted[token] = text
        return text


def load_or_create_key(path: Path) -> bytes:
    """Read the key file, or create it with mode 0600 when it does not exist yet."""
    from cryptography.fernet import Fernet

    if path.exists():
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise DrupeError(f"Cannot read the secret key file {path}: {exc.strerror}. Check its permissions.") from exc
        if not key:
            raise DrupeError(f"The secret key file {path} is empty. Restore it, or set DRUPE_SECRET_KEY.")
        return key
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise DrupeError(f"Cannot create the secret key file {path}: {exc.strerror}.") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


@lru_cache(maxsize=4)
def _vault_for(key: bytes) -> Vault:
    return Vault(key)


def vault(home: Path) -> Vault:
    """The vault for this data folder, honouring `DRUPE_SECRET_KEY`."""
    configured = os.environ.get("DRUPE_SECRET_KEY", "").strip()
    key = configured.encode() if configured else load_or_create_key(home / "secret.key")
    return _vault_for(key)
