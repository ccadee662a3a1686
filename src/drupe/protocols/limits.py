"""How much drupe takes from a provider: every size it reads, keeps or shows is bounded here.

A provider (or a model fed hostile text) must never be able to freeze, flood or exhaust
drupe, so each thing read from the network has a cap. The defaults are far above what real
use reaches (a long answer is a few hundred KB); a provider can override any of them with its
`limits` option (`drupe provider edit NAME --limit answer_chars=8000000`, or the API's
`options.limits`). docs/reliability.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Limits:
    """Caps on what one provider may send."""

    answer_chars: int = 4_000_000
    """Text plus reasoning of one answer. Past it drupe stops reading, keeps what fits and
    marks the answer `stopped` with stop reason `size_limit`."""

    event_bytes: int = 16 * MIB
    """One server-sent event. A larger one ends the answer as `bad_response` (not retried)."""

    response_bytes: int = 32 * MIB
    """One whole JSON response (a non-streamed answer, one page of a model list)."""

    error_body_bytes: int = 64 * KIB
    """What is read of a failed response's body; the rest is left unread."""

    error_chars: int = 4_000
    """The provider's error message as kept, stored and shown."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def with_overrides(self, overrides: dict[str, Any] | None) -> Limits:
        """These limits with a provider's `limits` option applied (already validated)."""
        if not overrides:
            return self
        return replace(self, **{name: int(value) for name, value in overrides.items() if name in self.names()})


DEFAULT_LIMITS = Limits()


def clip(text: str, chars: int) -> str:
    """`text` cut to `chars` characters, saying how much was left out (linear, no regex)."""
    if len(text) <= chars:
        return text
    return f"{text[:chars]}… [{len(text) - chars} more characters not shown]"
