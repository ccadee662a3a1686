"""Gateway keys checked against the store at most once a second each.

Looking a key up costs a database query (about 0.25 ms on SQLite, a network round trip on
PostgreSQL) on the event loop, in every request's time to first token. A key found valid is
trusted for `RECHECK_SECONDS` more without asking the store again; its expiry is still checked
on every request. So a key revoked from another process (`drupe gateway key revoke`) or from
the web page is refused within a second; a key just created works at once (an unknown key is
always looked up).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drupe.gateway.keys import GatewayKey, GatewayKeys

RECHECK_SECONDS = 1.0
MAX_REMEMBERED = 1024
"""Keys remembered at once; past this the memory starts over (real use has a handful)."""


class KeyCheck:
    def __init__(self, keys: GatewayKeys, seconds: float = RECHECK_SECONDS) -> None:
        self.keys = keys
        self.seconds = seconds
        self._seen: dict[str, tuple[GatewayKey, float]] = {}

    def verify(self, secret: str) -> GatewayKey:
        """The key `secret` is, if it may be used now; else `GatewayKeys.verify`'s DrupeError."""
        now = time.monotonic()
        seen = self._seen.get(secret)
        if seen is not None and now - seen[1] < self.seconds and seen[0].state() == "active":
            return seen[0]
        key = self.keys.verify(secret)
        if len(self._seen) >= MAX_REMEMBERED:
            self._seen.clear()
        self._seen[secret] = (key, now)
        return key
