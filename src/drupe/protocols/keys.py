"""Round-robin over a provider's API keys, shared by every request in the process."""

from __future__ import annotations

import threading


class KeyRing:
    """Hands out the keys in turn: each request starts one key further along.

    `order()` gives the whole rotation for one request, so a caller can fall
    back to the next key when one is refused or rate limited.
    """

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self._next = 0
        self._lock = threading.Lock()

    def order(self) -> tuple[str | None, ...]:
        """Keys to try for one request, best first; `(None,)` when there are none."""
        if not self.keys:
            return (None,)
        with self._lock:
            start = self._next
            self._next = (start + 1) % len(self.keys)
        return self.keys[start:] + self.keys[:start]


_rings: dict[tuple[str, ...], KeyRing] = {}
_rings_lock = threading.Lock()


def ring_for(keys: tuple[str, ...]) -> KeyRing:
    """The process-wide ring for this exact set of keys."""
    with _rings_lock:
        ring = _rings.get(keys)
        if ring is None:
            ring = _rings[keys] = KeyRing(keys)
        return ring
