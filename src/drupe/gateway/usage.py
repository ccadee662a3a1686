"""Usage: one record per gateway request, written off the event loop, summed up per key, model or provider.

A record says who asked (the key), for what (the model as asked, the provider and model that
answered, the route if one was used), what it took (tokens, cost, time to first token, duration)
and how it ended (status, error). The content only when `drupe serve --log-gateway-content` asks.

`UsageLog.record` only queues: rows are written in batches by a worker thread
(`drupe.gateway.writer`), which also prices them: a record without a cost gets one from its
model's prices (USD per million tokens, as `ChatService.cost`) when the model has them and the
provider reported tokens.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from drupe.errors import DrupeError
from drupe.gateway.keys import naive_utc
from drupe.gateway.tables import gateway_usage as usage_table
from drupe.gateway.writer import BatchWriter
from drupe.store.db import Store
from drupe.store.tables import models as models_table
from drupe.store.tables import providers as providers_table

GroupBy = Literal["key", "model", "provider"]
GROUPS: tuple[GroupBy, ...] = ("key", "model", "provider")
_GROUP_COLUMN = {"key": usage_table.c.key_name, "model": usage_table.c.model, "provider": usage_table.c.provider}


@dataclass(frozen=True)
class UsageRecord:
    at: datetime
    key_id: str | None
    key_name: str
    api: str
    """The format the client spoke: `openai` or `anthropic`."""
    model: str
    """As the client asked for it."""
    provider: str | None
    provider_model: str | None
    route: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost: float | None
    """USD; None: priced from the model when the record is written, if it has prices."""
    ttft_ms: float | None
    duration_ms: float
    status: int
    error: str | None
    content: dict | None = None
    """Only with `drupe serve --log-gateway-content`."""


Prices = tuple[float | None, float | None]


class UsageLog:
    """Records gateway requests; sums them up."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._writer: BatchWriter[UsageRecord] = BatchWriter(self._write, "usage records")

    def record(self, record: UsageRecord) -> None:
        """Queue `record`; on an event loop, never waits on the database."""
        self._writer.put(record)

    def flush(self) -> None:
        """Write what is queued now, in this thread."""
        self._writer.drain()

    async def aclose(self) -> None:
        """Wait until every record queued so far is written."""
        await self._writer.aclose()

    def _prices(self, conn: sa.Connection, provider: str, model: str) -> Prices:
        query = (
            sa.select(models_table.c.price_in, models_table.c.price_out)
            .join(providers_table, providers_table.c.id == models_table.c.provider_id)
            .where(
                sa.or_(providers_table.c.name_key == provider.lower(), providers_table.c.id == provider),
                models_table.c.model_id == model,
            )
        )
        row = conn.execute(query).first()
        return (row.price_in, row.price_out) if row else (None, None)

    def _write(self, batch: list[UsageRecord]) -> None:
        prices: dict[tuple[str, str], Prices] = {}
        rows = []
        with self.store.engine.begin() as conn:
            for record in batch:
                row = asdict(record)
                row["at"] = naive_utc(record.at)
                if record.cost is None and record.provider and record.provider_model:
                    where = (record.provider, record.provider_model)
                    if where not in prices:
                        prices[where] = self._prices(conn, *where)
                    row["cost"] = cost(record, *prices[where])
                rows.append(row)
            conn.execute(usage_table.insert(), rows)

    def summary(self, since: datetime, by: GroupBy) -> list[dict[str, Any]]:
        """Per key (its name), model (as asked) or provider, since `since` (UTC), busiest first:
        `{by: name, "requests", "errors", "input_tokens", "output_tokens", "cost", "p50_ttft_ms",
        "p50_duration_ms"}`. `cost` is None when no request of the group had a price; an error is a
        request that ended with a status of 400 or more, or an error."""
        if by not in GROUPS:
            raise DrupeError(
                f"Cannot sum usage up by {by!r}. Valid: {', '.join(GROUPS)}.",
                code="invalid", field="by", choices=list(GROUPS),
            )  # fmt: skip
        self.flush()
        c = usage_table.c
        query = sa.select(
            _GROUP_COLUMN[by].label("group"), c.status, c.error, c.input_tokens, c.output_tokens, c.cost,
            c.ttft_ms, c.duration_ms,
        ).where(c.at >= naive_utc(since))  # fmt: skip
        with self.store.engine.connect() as conn:
            return summarize(conn.execute(query), by)


def cost(record: UsageRecord, price_in: float | None, price_out: float | None) -> float | None:
    """USD for a request from its tokens and its model's prices per million tokens, or None."""
    if price_in is None and price_out is None:
        return None
    if record.input_tokens is None and record.output_tokens is None:
        return None
    return ((record.input_tokens or 0) * (price_in or 0) + (record.output_tokens or 0) * (price_out or 0)) / 1e6


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass
class _Group:
    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    costs: list[float] = field(default_factory=list)
    ttfts: list[float] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)

    def add(self, row: Any) -> None:
        self.requests += 1
        self.errors += row.status >= 400 or row.error is not None
        self.input_tokens += row.input_tokens or 0
        self.output_tokens += row.output_tokens or 0
        if row.cost is not None:
            self.costs.append(row.cost)
        if row.ttft_ms is not None:
            self.ttfts.append(row.ttft_ms)
        self.durations.append(row.duration_ms)

    def summed(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": sum(self.costs) if self.costs else None,
            "p50_ttft_ms": _median(self.ttfts),
            "p50_duration_ms": _median(self.durations),
        }


def summarize(rows: Iterable[Any], by: str) -> list[dict[str, Any]]:
    """Rows with `group`, `status`, `error`, tokens, `cost`, `ttft_ms` and `duration_ms`, summed up per group."""
    groups: dict[Any, _Group] = {}
    for row in rows:
        groups.setdefault(row.group, _Group()).add(row)
    summed = [{by: name, **group.summed()} for name, group in groups.items()]
    return sorted(summed, key=lambda item: (-item["requests"], str(item[by] or "")))


SINCE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    """`30m`, `24h`, `7d`, `2w` (or `90s`) as a length of time."""
    match = SINCE.fullmatch((text or "").strip().lower())
    if not match:
        raise DrupeError(
            f"{text!r} is not a length of time: give a number and a unit, like 30m, 24h, 7d or 2w.",
            code="invalid", field="since",
        )  # fmt: skip
    try:
        return timedelta(**{UNITS[match.group(2)]: float(match.group(1))})
    except OverflowError as exc:
        raise DrupeError(f"{text!r} is too long ago.", code="invalid", field="since") from exc
