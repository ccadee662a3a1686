"""Secrets at rest: Fernet-encrypted with a key from `DRUPE_SECRET_KEY` or `DRUPE_HOME/secret.key`.

The key is checked against the store before it is used: a missing key file is recreated only
when nothing in the store was encrypted with the old one, and a wrong key stops drupe with a
message saying what to restore, instead of writing new secrets no one can read later.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.keys import is_secret_header

if TYPE_CHECKING:
    import sqlalchemy as sa

CHECK_SETTING = "secret_key_check"
"""Settings row holding a token encrypted with the store's key: proves a key is the right one."""
_CHECK_TEXT = "drupe secret key check"

MCP_PREFIX = "MCP server "
"""How an MCP server is named among providers where both are listed (`open_vault`, `reset-secrets`)."""


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
                _(
                    "The secret key is not a valid Fernet key (32 url-safe base64 bytes). "
                    "Fix DRUPE_SECRET_KEY or restore DRUPE_HOME/secret.key."
                ),
                code="invalid",
                field="secret_key",
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
                _(
                    "Stored secrets cannot be decrypted with this secret key. "
                    "Was DRUPE_SECRET_KEY or DRUPE_HOME/secret.key changed? Restore the original one."
                ),
                code="secrets_unreadable",
            ) from exc
        if len(self._decrypted) >= DECRYPTED_CACHE_SIZE:
            self._decrypted.clear()
        self._decrypted[token] = text
        return text

    def can_decrypt(self, token: str) -> bool:
        try:
            self.decrypt(token)
        except DrupeError:
            return False
        return True


def load_or_create_key(path: Path) -> bytes:
    """Read the key file, or create it with mode 0600 when it does not exist yet."""
    from cryptography.fernet import Fernet

    if path.exists():
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise DrupeError(
                _(
                    "Cannot read the secret key file {path}: {problem}. Check its permissions.",
                    path=path,
                    problem=exc.strerror,
                ),
                code="unavailable",
                what="secret_key",
                path=str(path),
            ) from exc
        if not key:
            raise DrupeError(
                _("The secret key file {path} is empty. Restore it, or set DRUPE_SECRET_KEY.", path=path),
                code="unavailable", what="secret_key", path=str(path),
            )  # fmt: skip
        return key
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise DrupeError(
            _("Cannot create the secret key file {path}: {problem}.", path=path, problem=exc.strerror),
            code="unavailable",
            what="secret_key",
            path=str(path),
        ) from exc
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


def _key_source(home: Path) -> str:
    return "DRUPE_SECRET_KEY" if os.environ.get("DRUPE_SECRET_KEY", "").strip() else str(home / "secret.key")


def open_vault(home: Path, engine: sa.Engine) -> Vault:
    """The vault for this store, after checking its key is the one the store's secrets need.

    Raises DrupeError, naming the file to restore, when the store holds encrypted secrets and
    the key is missing (it is then not recreated) or is not the key they were encrypted with.
    """
    import sqlalchemy as sa

    from drupe.store.tables import mcp_servers, providers, settings

    # MCP servers' secrets (drupe.tools.servers) need the same key: named apart from the providers.
    sealed_query = sa.union_all(
        sa.select(providers.c.name, providers.c.api_keys).where(providers.c.api_keys != ""),
        sa.select((sa.literal(MCP_PREFIX) + mcp_servers.c.name).label("name"), mcp_servers.c.secrets).where(
            mcp_servers.c.secrets != ""
        ),
    )
    with engine.connect() as conn:
        sealed = conn.execute(sealed_query).all()
        check = conn.execute(sa.select(settings.c.value).where(settings.c.key == CHECK_SETTING)).scalar()
    path = home / "secret.key"
    names = ", ".join(row.name for row in sealed)
    if sealed and not _has_key(home):
        raise DrupeError(
            _(
                "The secret key file {path} is missing, but the secrets of {n} provider(s) or MCP server(s) ({names}) "
                "were encrypted with it. Restore that file from your backup (or set DRUPE_SECRET_KEY to the key); "
                "drupe does not make a new one while they need the old.",
                path=path, n=len(sealed), names=names,
            ),
            code="secrets_unreadable", providers=[row.name for row in sealed], path=str(path),
        )  # fmt: skip
    found = vault(home)
    if sealed:
        # Right when it is the key the store recorded, or opens some provider's secrets (after a key
        # was lost and remade, each provider's secrets open with one of the two: the others are flagged).
        right = isinstance(check, str) and found.can_decrypt(check)
        if not right and not any(found.can_decrypt(token) for _, token in sealed):
            raise DrupeError(
                _(
                    "The secret key in {source} is not the one the secrets of {n} provider(s) or MCP server(s) "
                    "({names}) were encrypted with. Restore the original {path} (or DRUPE_SECRET_KEY).",
                    source=_key_source(home), n=len(sealed), names=names, path=path,
                ),
                code="secrets_unreadable", providers=[row.name for row in sealed], path=str(path),
            )  # fmt: skip
    if not isinstance(check, str) or not found.can_decrypt(check):
        remember_key(engine, found)
    return found


def remember_key(engine: sa.Engine, current: Vault) -> None:
    """Record which key the store's secrets are encrypted with (from now on: `current`)."""
    from drupe.store.tables import settings

    with engine.begin() as conn:
        conn.execute(settings.delete().where(settings.c.key == CHECK_SETTING))
        conn.execute(settings.insert().values(key=CHECK_SETTING, value=current.encrypt(_CHECK_TEXT)))


def _unreadable(engine: sa.Engine, current: Vault | None) -> list[tuple[str, str]]:
    import sqlalchemy as sa

    from drupe.store.tables import providers

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(providers.c.id, providers.c.name, providers.c.api_keys).where(providers.c.api_keys != "")
        ).all()
    return [(row.id, row.name) for row in rows if current is None or not current.can_decrypt(row.api_keys)]


def _unreadable_mcp(engine: sa.Engine, current: Vault | None) -> list[tuple[str, str]]:
    """MCP servers (id, name) whose sealed environment values, secret headers or URL credentials
    (`drupe.tools.servers`) the current key cannot decrypt."""
    import sqlalchemy as sa

    from drupe.store.tables import mcp_servers

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(mcp_servers.c.id, mcp_servers.c.name, mcp_servers.c.secrets).where(mcp_servers.c.secrets != "")
        ).all()
    return [(row.id, row.name) for row in rows if current is None or not current.can_decrypt(row.secrets)]


def _has_key(home: Path) -> bool:
    return bool(os.environ.get("DRUPE_SECRET_KEY", "").strip()) or (home / "secret.key").exists()


def unreadable_providers(home: Path, engine: sa.Engine) -> list[str]:
    """Names of the providers whose secrets the current key (all of them when there is none) cannot
    decrypt, then of the MCP servers (as "MCP server NAME") whose secrets it cannot."""
    current = vault(home) if _has_key(home) else None
    return [name for _, name in _unreadable(engine, current)] + [
        MCP_PREFIX + name for _, name in _unreadable_mcp(engine, current)
    ]


def forget_unreadable(home: Path, engine: sa.Engine) -> list[str]:
    """Clear the secrets the current key cannot decrypt, and make it the store's key; the names
    of the providers (then "MCP server NAME"s) that lost theirs. On purpose only: they cannot be
    recovered without the old key. An MCP server keeps its variables' names with empty values (to
    be given again); its emptied secret headers go, as a provider's do."""
    import sqlalchemy as sa

    from drupe.store.tables import mcp_servers, providers

    current = vault(home)
    lost = _unreadable(engine, current)
    lost_mcp = _unreadable_mcp(engine, current)
    with engine.begin() as conn:
        for provider_id, _ in lost:
            headers = conn.execute(sa.select(providers.c.headers).where(providers.c.id == provider_id)).scalar()
            kept = {k: v for k, v in (headers or {}).items() if v or not is_secret_header(k)}
            conn.execute(providers.update().where(providers.c.id == provider_id).values(api_keys="", headers=kept))
        for server_id, _ in lost_mcp:
            headers = conn.execute(sa.select(mcp_servers.c.headers).where(mcp_servers.c.id == server_id)).scalar()
            kept = {k: v for k, v in (headers or {}).items() if v or not is_secret_header(k)}
            conn.execute(mcp_servers.update().where(mcp_servers.c.id == server_id).values(secrets="", headers=kept))
    remember_key(engine, current)
    return [name for _, name in lost] + [MCP_PREFIX + name for _, name in lost_mcp]
