"""MCP servers: validated, stored, their secrets encrypted at rest.

A server is a command drupe starts and talks to over its stdin/stdout (`stdio`), or a Streamable
HTTP URL (`http`). Its secrets are every environment variable's value, the values of its secret
headers (`drupe.keys.is_secret_header`) and the `user:password@` of its URL: they are stored
together as one encrypted JSON object in the `secrets` column, as a provider's are in `api_keys`;
the clear columns keep the variables' and secret headers' names with empty values.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import sqlalchemy as sa

from drupe.errors import DrupeError
from drupe.i18n import _
from drupe.keys import join_secrets, mask_headers, mask_secret, mask_url, secret_values, split_secrets
from drupe.plain import plain
from drupe.store.db import Store
from drupe.store.tables import mcp_servers as servers_table

Transport = Literal["stdio", "http"]
TRANSPORTS: tuple[Transport, ...] = ("stdio", "http")

Approval = Literal["ask", "always"]
APPROVALS: tuple[Approval, ...] = ("ask", "always")
"""`ask`: each call of the server's tools waits for the user's approval; `always`: they run at once."""

DEFAULT_TIMEOUT = 60.0
"""Seconds a server has to start, to list its tools, or to answer one call."""

NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
"""A server's name prefixes its tools' names for the models (`time__get_current_time`), and
function names are `[A-Za-z0-9_-]` on every provider type: so are server names."""

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

FIELDS = ("transport", "command", "args", "url", "env", "headers", "timeout", "enabled", "approval")


@dataclass
class McpServer:
    id: str
    name: str
    transport: Transport
    command: str = ""
    args: list[str] = field(default_factory=list)
    url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    enabled: bool = True
    approval: Approval = "ask"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    secrets_unreadable: bool = False
    """Its stored secrets cannot be decrypted with the current key: connecting is refused
    (the server would start without its variables), new ones can be given."""

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, to remove from what the server says in its errors."""
        return secret_values(list(self.env.values()), self.headers, (self.url,))

    def public_dict(self) -> dict[str, Any]:
        """Safe to show: environment values, secret header values and URL credentials masked."""
        return {
            **plain(self),
            "url": mask_url(self.url),
            "env": {name: mask_secret(value) if value else "" for name, value in self.env.items()},
            "headers": mask_headers(self.headers),
        }


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def parse_env(pairs: list[str]) -> dict[str, str]:
    """`--env NAME=VALUE` pairs as a dict; a bad one says how to write it."""
    env: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not ENV_NAME.fullmatch(name):
            raise DrupeError(
                _(
                    "The environment variable {name} is not NAME=VALUE with NAME made of letters, digits and _ "
                    "(not starting with a digit). Example: API_TOKEN=abc123.",
                    name=repr(pair.split("=", 1)[0]),
                ),
                code="invalid", field="env",
            )  # fmt: skip
        env[name] = value
    return env


def check_server(server: McpServer) -> None:
    """Raise an `invalid` DrupeError naming the field, for anything that cannot work."""
    if not NAME.fullmatch(server.name):
        raise DrupeError(
            _(
                "The MCP server name {name} is not usable: give 1 to 32 letters, digits, - or _ "
                "(it prefixes its tools' names, which providers restrict to these).",
                name=repr(server.name),
            ),
            code="invalid", field="name",
        )  # fmt: skip
    if server.transport not in TRANSPORTS:
        raise DrupeError(
            _("Unknown MCP transport {value}. Valid: {choices}.", value=repr(server.transport), choices=", ".join(TRANSPORTS)),
            code="invalid", field="transport", choices=list(TRANSPORTS),
        )  # fmt: skip
    if server.transport == "stdio":
        if not server.command.strip():
            raise DrupeError(
                _("An stdio MCP server needs the command that starts it."), code="invalid", field="command"
            )
        if server.url or server.headers:
            raise DrupeError(
                _("An stdio MCP server takes no URL or headers: give a command, or a URL alone."),
                code="invalid", field="url",
            )  # fmt: skip
    else:
        parts = urlsplit(server.url)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in server.url):
            raise DrupeError(
                _(
                    "The MCP server URL {url} is not an http or https URL. Example: http://127.0.0.1:8000/mcp",
                    url=repr(mask_url(server.url)),
                ),
                code="invalid", field="url",
            )  # fmt: skip
        if server.command or server.args or server.env:
            raise DrupeError(
                _("An HTTP MCP server takes no command, arguments or environment: give a URL, or a command alone."),
                code="invalid", field="command",
            )  # fmt: skip
    for name in server.env:
        if not ENV_NAME.fullmatch(name):
            raise DrupeError(
                _("{name} is not an environment variable name.", name=repr(name)), code="invalid", field="env"
            )
    if server.approval not in APPROVALS:
        raise DrupeError(
            _("Unknown approval setting {value}. Valid: {choices}.", value=repr(server.approval), choices=", ".join(APPROVALS)),
            code="invalid", field="approval", choices=list(APPROVALS),
        )  # fmt: skip
    if not server.timeout or server.timeout <= 0:
        raise DrupeError(
            _("The timeout must be a positive number of seconds, not {value}.", value=repr(server.timeout)),
            code="invalid", field="timeout",
        )  # fmt: skip


class McpServers:
    """Add, list, read, change and remove MCP servers."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _from_row(self, row: Any) -> McpServer:
        secrets: dict[str, Any] = {}
        unreadable = False
        if row.secrets:
            vault = self.store.vault
            try:
                secrets = json.loads(vault.decrypt(row.secrets))
            except DrupeError:
                unreadable = True
        clear = {"base_url": row.url, "proxy": "", "headers": dict(row.headers or {})}
        joined = join_secrets(clear, secrets)
        return McpServer(
            id=row.id,
            name=row.name,
            transport=row.transport,
            command=row.command,
            args=list(row.args or []),
            url=joined["base_url"],
            env={**dict(row.env or {}), **(secrets.get("env") or {})},
            headers=joined["headers"],
            timeout=row.timeout,
            enabled=bool(row.enabled),
            approval=row.approval,
            created_at=row.created_at,
            updated_at=row.updated_at,
            secrets_unreadable=unreadable,
        )

    def _values(self, server: McpServer) -> dict[str, Any]:
        """The row to write: secrets sealed in `secrets`, the clear columns without them."""
        clear, secrets = split_secrets([], server.headers, server.url, "")
        if server.env:
            secrets["env"] = dict(server.env)
        return {
            "name": server.name,
            "name_key": server.name.lower(),
            "transport": server.transport,
            "command": server.command,
            "args": list(server.args),
            "url": clear["base_url"],
            "env": dict.fromkeys(server.env, ""),
            "headers": clear["headers"],
            "secrets": self.store.vault.encrypt(json.dumps(secrets)) if secrets else "",
            "timeout": server.timeout,
            "enabled": server.enabled,
            "approval": server.approval,
        }

    def list_servers(self) -> list[McpServer]:
        query = sa.select(servers_table).order_by(servers_table.c.name_key)
        with self.store.engine.connect() as conn:
            rows = list(conn.execute(query))
        return [self._from_row(row) for row in rows]

    def find(self, name_or_id: str) -> McpServer | None:
        key = name_or_id.strip()
        query = sa.select(servers_table).where(
            sa.or_(servers_table.c.name_key == key.lower(), servers_table.c.id == key)
        )
        with self.store.engine.connect() as conn:
            row = conn.execute(query).first()
        return self._from_row(row) if row else None

    def get(self, name_or_id: str) -> McpServer:
        server = self.find(name_or_id)
        if server is None:
            names = ", ".join(s.name for s in self.list_servers()) or _("none yet")
            raise DrupeError(
                _("No MCP server named {name}. MCP servers: {names}.", name=repr(name_or_id), names=names),
                code="not_found", what="mcp_server", name=name_or_id,
            )  # fmt: skip
        return server

    def _check(self, server: McpServer, *, exclude_id: str | None = None) -> None:
        check_server(server)
        query = sa.select(servers_table.c.id).where(servers_table.c.name_key == server.name.lower())
        with self.store.engine.connect() as conn:
            clash = conn.execute(query).scalar()
        if clash and clash != exclude_id:
            raise DrupeError(
                _(
                    "An MCP server named {name} already exists (names ignore case). Pick another name.",
                    name=repr(server.name),
                ),
                code="conflict", what="mcp_server", name=server.name, field="name",
            )  # fmt: skip

    def add(self, name: str, transport: Transport, **fields: Any) -> McpServer:
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise TypeError(f"unknown MCP server fields: {sorted(unknown)}")
        server = McpServer(id=uuid.uuid4().hex, name=(name or "").strip(), transport=transport, **fields)
        self._check(server)
        self.store.vault  # noqa: B018 (before the transaction: checking the key may write)
        now = _now()
        with self.store.engine.begin() as conn:
            conn.execute(
                servers_table.insert().values(id=server.id, created_at=now, updated_at=now, **self._values(server))
            )
        server.created_at = server.updated_at = now
        return server

    def edit(self, name_or_id: str, **changes: Any) -> McpServer:
        """Change any fields (and `name`); validated as a whole before anything is written."""
        unknown = set(changes) - {*FIELDS, "name"}
        if unknown:
            raise TypeError(f"unknown MCP server fields: {sorted(unknown)}")
        server = self.get(name_or_id)
        if server.secrets_unreadable and not {"env", "headers", "url"} & set(changes):
            raise DrupeError(
                _(
                    "The stored secrets of MCP server {name} cannot be decrypted with the current secret key: "
                    "restore the original key, or give its environment, headers or URL again.",
                    name=repr(server.name),
                ),
                code="secrets_unreadable", what="mcp_server", name=server.name,
            )  # fmt: skip
        for key, value in changes.items():
            setattr(server, key, value.strip() if key == "name" else value)
        self._check(server, exclude_id=server.id)
        self.store.vault  # noqa: B018 (before the transaction: checking the key may write)
        server.updated_at = _now()
        server.secrets_unreadable = False
        with self.store.engine.begin() as conn:
            conn.execute(
                servers_table.update()
                .where(servers_table.c.id == server.id)
                .values(updated_at=server.updated_at, **self._values(server))
            )
        return server

    def enable(self, name_or_id: str) -> McpServer:
        return self._set_enabled(name_or_id, True)

    def disable(self, name_or_id: str) -> McpServer:
        """Switched off, its settings kept."""
        return self._set_enabled(name_or_id, False)

    def _set_enabled(self, name_or_id: str, enabled: bool) -> McpServer:
        server = self.get(name_or_id)
        with self.store.engine.begin() as conn:
            conn.execute(servers_table.update().where(servers_table.c.id == server.id).values(enabled=enabled))
        server.enabled = enabled
        return server

    def remove(self, name_or_id: str) -> McpServer:
        server = self.get(name_or_id)
        with self.store.engine.begin() as conn:
            conn.execute(servers_table.delete().where(servers_table.c.id == server.id))
        return server
