"""The shapes every API input may take: bounded numbers and text the store can hold.

Declared once here so each route's parameters and bodies say their limits in the same
words, the OpenAPI document shows them, and a bad value is a 422 naming the field
instead of an overflow or encoding error deep in the store (a 500)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

MAX_ID = 2**53 - 1
"""The largest id or offset: the largest integer a JSON number holds exactly in every client
(the pages keep ids in JavaScript numbers), far inside the 2^63-1 SQLite and PostgreSQL
can store, and exact in the OpenAPI document (which writes bounds as doubles)."""

MAX_COUNT = 2**31 - 1
"""Token counts, context sizes and the like: providers read them as 32-bit integers."""

MAX_TIMEOUT = 7 * 24 * 3600.0
"""A week, in seconds: longer is no limit, and huge values overflow socket and thread timeouts."""

NO_NUL = "^[^\\x00]*$"
"""In the OpenAPI document: text may not contain NUL (PostgreSQL text and SQLite's full-text
index cannot hold it). Enforced by `_storable` with a clearer message than a pattern's."""


def _storable(text: str) -> str:
    """Text the store can hold: no NUL character, and valid Unicode (no lone surrogate from a JSON `\\ud800`)."""
    if "\x00" in text:
        raise PydanticCustomError("nul_character", "contains a NUL character (\\u0000); remove it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError(
            "invalid_unicode", "is not valid Unicode (a lone surrogate such as \\ud800); send UTF-8 text"
        ) from None
    return text


Text = Annotated[str, AfterValidator(_storable), Field(json_schema_extra={"pattern": NO_NUL})]
"""Any string that reaches the store, a query or a provider."""

MessageText = Annotated[str, Field(json_schema_extra={"x-cleaned": True})]
"""What the user says in a chat: taken as sent and made storable by the chat service (NUL
removed, a lone surrogate replaced by U+FFFD, and the turn says so), so a message pasted with
a stray control character is kept rather than refused (docs/reliability.md)."""


def _matching(pattern: str, kind: str, message: str) -> AfterValidator:
    """A whole-string regex check that fails with `message` (a pattern's own error says nothing useful)."""
    compiled = re.compile(pattern)

    def check(text: str) -> str:
        if compiled.fullmatch(text) is None:
            raise PydanticCustomError(kind, message)
        return text

    return AfterValidator(check)


HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
HEADER_VALUE = "^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$"
"""No control character but tab: a line break in a value would start another header."""
HeaderName = Annotated[
    str,
    _matching(HEADER_NAME, "header_name", "is not a header name: use letters, digits and - (like X-Team)"),
    Field(json_schema_extra={"pattern": HEADER_NAME}),
]
HeaderValue = Annotated[
    str,
    _matching(HEADER_VALUE, "header_value", "contains a control character (a line break?); remove it"),
    AfterValidator(_storable),  # a lone surrogate passes the pattern, then cannot be written back out
    Field(json_schema_extra={"pattern": HEADER_VALUE}),
]

ENV_NAME = "^[A-Za-z_][A-Za-z0-9_]*$"
EnvName = Annotated[
    str,
    _matching(
        ENV_NAME, "env_name", "is not an environment variable name: letters, digits and _, not starting with a digit"
    ),
    Field(json_schema_extra={"pattern": ENV_NAME}),
]
MCP_SERVER_NAME = "^[A-Za-z0-9_-]{1,32}$"
McpServerName = Annotated[
    str,
    _matching(MCP_SERVER_NAME, "mcp_server_name", "is not an MCP server name: 1 to 32 letters, digits, - or _"),
    Path(json_schema_extra={"pattern": MCP_SERVER_NAME}, description="An MCP server's name (or id)."),
]
"""A server in a path: what no stored name or id can be is a 422, before anything is looked up."""

PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="A message id: 1 to 2^53-1.")]
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID, description="A message id: 1 to 2^53-1.")]
Count = Annotated[int, Field(strict=True, ge=1, le=MAX_COUNT)]
"""A whole number of tokens, at least 1; JSON `true` or `1.5` is refused, not read as 1."""
Index = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)]
Price = Annotated[float, Field(strict=True, ge=0, le=1e9, description="USD per million tokens.")]

GATEWAY_KEY_NAME = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
GatewayKeyName = Annotated[
    str,
    _matching(
        GATEWAY_KEY_NAME, "gateway_key_name",
        "is not a gateway key name: 1 to 32 letters, digits, '.', '-' or '_', starting with a letter or digit",
    ),
    Path(json_schema_extra={"pattern": GATEWAY_KEY_NAME}, description="A gateway key's name (or id)."),
]  # fmt: skip
ROUTE_NAME = "^[^/\\s\\x00]{1,64}$"
RouteName = Annotated[
    str,
    _matching(ROUTE_NAME, "route_name", "is not a route name: 1 to 64 characters without '/' or spaces"),
    AfterValidator(_storable),
    Path(json_schema_extra={"pattern": ROUTE_NAME}, description="A gateway route's name."),
]
SINCE = "^[0-9]{1,9}(\\.[0-9]{1,3})?[smhdw]$"
"""How far back usage goes: `30m`, `24h`, `7d`, `2w`; at most nine digits, so it stays a length of time."""
