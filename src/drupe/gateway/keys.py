"""Gateway keys: what other programs send to use drupe's `/v1` API, kept apart from provider keys.

A key is `drp-` and 43 URL-safe characters: 32 random bytes (256 bits) from `secrets`. Only its
SHA-256 is stored, with its first 12 characters (`prefix`) to tell keys apart in lists. Passwords
need a slow, salted hash because people choose guessable ones; a 256-bit random key cannot be
guessed or found from its hash by trying candidates, so a fast hash loses nothing there and lets a
request find its key in one indexed lookup. Whoever reads the database (or a backup of it) learns
no key that works.

`verify` hashes what a client sent and looks the hash up: no stored key is compared byte by byte
with what the client typed, so how long a refusal takes tells nothing about any key.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import threading
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

import sqlalchemy as sa

from drupe.errors import DrupeError
from drupe.gateway.tables import gateway_keys as keys_table
from drupe.gateway.writer import BatchWriter
from drupe.i18n import N_, _
from drupe.store.db import Store

KEY_PREFIX = "drp-"
KEY_BYTES = 32
KEY_LENGTH = len(KEY_PREFIX) + 43  # token_urlsafe(32): 43 characters
SHOWN_PREFIX = 12
"""How much of a key lists show ("drp-" and 8 more): enough to tell keys apart, far too little to use."""

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
MAX_PATTERN = 200
MAX_DAYS = 36500


def utcnow() -> datetime:
    """Naive UTC, as every time in the store."""
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _addressed(text: str) -> str:
    """A model address or pattern with its part before the first `/` lower-cased: provider and
    route names ignore case, model IDs do not."""
    head, sep, tail = text.partition("/")
    return f"{head.lower()}{sep}{tail}"


@dataclass(frozen=True)
class GatewayKey:
    id: str
    name: str
    prefix: str
    models: tuple[str, ...]
    """fnmatch patterns over `PROVIDER/MODEL` and route names, e.g. `work/*`, `*/gpt-4o*`, `fast`; () = all."""
    rpm: int | None
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
    last_used_at: datetime | None
    requests: int

    def allows(self, model: str) -> bool:
        """May this key use `model`, as addressed after resolution (`PROVIDER/MODEL` or a route name)?
        Provider and route names match ignoring case; model IDs exactly."""
        if not self.models:
            return True
        addressed = _addressed(model)
        return any(fnmatchcase(addressed, _addressed(pattern)) for pattern in self.models)

    def state(self, now: datetime | None = None) -> str:
        """`active`, `revoked` or `expired`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "active"


def check_key_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME.fullmatch(name):
        raise DrupeError(
            _(
                "The gateway key name {name} is not usable: give 1 to 32 letters, digits, '.', '-' or '_', "
                "starting with a letter or digit.",
                name=repr(name),
            ),
            code="invalid", field="name",
        )  # fmt: skip
    return name


def check_patterns(patterns: Iterable[str]) -> tuple[str, ...]:
    """Model patterns as given, refused when empty, spaced or too long; duplicates dropped."""
    found: list[str] = []
    for pattern in patterns:
        pattern = (pattern or "").strip()
        if not pattern or len(pattern) > MAX_PATTERN or any(ch.isspace() for ch in pattern):
            raise DrupeError(
                _(
                    "The model pattern {pattern} is not usable: give PROVIDER/MODEL, a route name, or a pattern "
                    "with * and ? like 'work/*' or '*/gpt-4o*', without spaces.",
                    pattern=repr(pattern),
                ),
                code="invalid", field="models",
            )  # fmt: skip
        if pattern not in found:
            found.append(pattern)
    return tuple(found)


def _unauthorized(message: str, reason: str, **data: Any) -> DrupeError:
    return DrupeError(message, code="unauthorized", reason=reason, **data)


class GatewayKeys:
    """Create, list, revoke and verify gateway keys; count their use."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._touches: BatchWriter[tuple[str, datetime]] = BatchWriter(self._write_touches, "key uses")

    @staticmethod
    def _from_row(row: Any) -> GatewayKey:
        return GatewayKey(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            models=tuple(row.models or ()),
            rpm=row.rpm,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            requests=row.requests,
        )

    def create(
        self, name: str, *, models: Iterable[str] = (), expires_days: float | None = None, rpm: int | None = None
    ) -> tuple[GatewayKey, str]:
        """A new key: its record, and the key itself, which only the caller ever sees."""
        name = check_key_name(name)
        patterns = check_patterns(models)
        if expires_days is not None and not (math.isfinite(expires_days) and 0 < expires_days <= MAX_DAYS):
            raise DrupeError(
                _(
                    "The days before the key expires must be a number above 0 and at most {most}, not {value}.",
                    most=MAX_DAYS, value=repr(expires_days),
                ),
                code="invalid", field="expires",
            )  # fmt: skip
        if rpm is not None and (isinstance(rpm, bool) or not isinstance(rpm, int) or rpm < 1):
            raise DrupeError(
                _("The requests per minute must be a whole number of at least 1, not {value}.", value=repr(rpm)),
                code="invalid", field="rpm",
            )  # fmt: skip
        secret = KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
        now = utcnow()
        key = GatewayKey(
            id=uuid.uuid4().hex, name=name, prefix=secret[:SHOWN_PREFIX], models=patterns, rpm=rpm,
            expires_at=now + timedelta(days=expires_days) if expires_days is not None else None,
            revoked_at=None, created_at=now, last_used_at=None, requests=0,
        )  # fmt: skip
        taken = self.find(name)
        if taken is not None:
            raise self._taken(taken)
        try:
            with self.store.engine.begin() as conn:
                conn.execute(
                    keys_table.insert().values(
                        id=key.id, name=key.name, name_key=key.name.lower(), prefix=key.prefix, hash=hash_key(secret),
                        models=list(key.models), rpm=key.rpm, expires_at=key.expires_at, created_at=key.created_at,
                        requests=0,
                    )
                )  # fmt: skip
        except sa.exc.IntegrityError as exc:  # created by another process meanwhile
            raise self._taken(self.find(name) or key) from exc
        return key, secret

    @staticmethod
    def _taken(key: GatewayKey) -> DrupeError:
        taken = (
            N_(
                "A gateway key named {name} already exists (revoked; its name stays with its usage). "
                "Pick another name (names ignore case)."
            )
            if key.revoked_at
            else N_("A gateway key named {name} already exists. Pick another name (names ignore case).")
        )
        return DrupeError(
            _(taken, name=repr(key.name)),
            code="conflict", what="gateway_key", name=key.name, field="name",
        )  # fmt: skip

    def list_keys(self) -> list[GatewayKey]:
        """Every key, revoked ones too, by name; use counted in this process included."""
        self._touches.drain()
        with self.store.engine.connect() as conn:
            rows = list(conn.execute(sa.select(keys_table).order_by(keys_table.c.name_key)))
        return [self._from_row(row) for row in rows]

    def find(self, name_or_id: str) -> GatewayKey | None:
        key = (name_or_id or "").strip()
        query = sa.select(keys_table).where(sa.or_(keys_table.c.name_key == key.lower(), keys_table.c.id == key))
        with self.store.engine.connect() as conn:
            row = conn.execute(query).first()
        return self._from_row(row) if row else None

    def get(self, name_or_id: str) -> GatewayKey:
        key = self.find(name_or_id)
        if key is None:
            names = ", ".join(k.name for k in self.list_keys()) or _("none yet")
            raise DrupeError(
                _("No gateway key named {name}. Gateway keys: {names}.", name=repr(name_or_id), names=names),
                code="not_found", what="gateway_key", name=name_or_id,
            )  # fmt: skip
        return key

    def revoke(self, name_or_id: str) -> GatewayKey:
        """Refuse the key from now on, for good. Its row stays, so its usage keeps its name.
        Revoking a revoked key changes nothing."""
        key = self.get(name_or_id)
        if key.revoked_at is not None:
            return key
        now = utcnow()
        with self.store.engine.begin() as conn:
            conn.execute(
                keys_table.update()
                .where(keys_table.c.id == key.id, keys_table.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return self.get(key.id)

    def verify(self, secret: str | None) -> GatewayKey:
        """The key a client sent, if it may be used now; else an `unauthorized` DrupeError whose
        `reason` says why: `missing`, `unknown`, `revoked` or `expired`."""
        secret = (secret or "").strip()
        if not secret:
            raise _unauthorized("No gateway key was sent.", "missing")
        digest = hash_key(secret)
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(keys_table).where(keys_table.c.hash == digest)).first()
        if row is None or not hmac.compare_digest(row.hash, digest):
            raise _unauthorized("The gateway key is not known: it may have been mistyped or never created.", "unknown")
        key = self._from_row(row)
        state = key.state()
        if state == "revoked":
            raise _unauthorized(f"The gateway key {key.name!r} was revoked.", "revoked", name=key.name)
        if state == "expired":
            when = f"{key.expires_at:%Y-%m-%d %H:%M} UTC"
            raise _unauthorized(f"The gateway key {key.name!r} expired on {when}.", "expired", name=key.name)
        return key

    def touch(self, key_id: str, when: datetime) -> None:
        """Count one request of the key at `when`. Never waits on the database on an event loop:
        uses are counted in memory and written in batches (`drupe.gateway.writer`)."""
        self._touches.put((key_id, naive_utc(when)))

    def flush(self) -> None:
        """Write the uses counted so far now, in this thread."""
        self._touches.drain()

    async def aclose(self) -> None:
        """Wait until every use counted so far is written."""
        await self._touches.aclose()

    def _write_touches(self, batch: list[tuple[str, datetime]]) -> None:
        counts: dict[str, tuple[int, datetime]] = {}
        for key_id, when in batch:
            count, last = counts.get(key_id, (0, when))
            counts[key_id] = (count + 1, max(last, when))
        update = (
            keys_table.update()
            .where(keys_table.c.id == sa.bindparam("key"))
            .values(requests=keys_table.c.requests + sa.bindparam("count"), last_used_at=sa.bindparam("used"))
        )
        with self.store.engine.begin() as conn:
            conn.execute(update, [{"key": k, "count": n, "used": last} for k, (n, last) in counts.items()])


WINDOW = 60.0
"""Seconds over which a key's requests per minute are counted."""


class RateLimiter:
    """A key's requests per minute, over a sliding 60-second window. In memory, per process:
    several `drupe serve` processes each allow a key its `rpm`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def check(self, key: GatewayKey, now: float) -> float | None:
        """Count a request of `key` at `now` (seconds, any monotonic clock) if it is within the
        key's limit and return None; else count nothing and return the seconds until it would be."""
        if not key.rpm:
            return None
        with self._lock:
            seen = self._seen.setdefault(key.id, deque())
            while seen and seen[0] <= now - WINDOW:
                seen.popleft()
            if len(seen) < key.rpm:
                seen.append(now)
                return None
            return max(seen[len(seen) - key.rpm] + WINDOW - now, 0.001)
