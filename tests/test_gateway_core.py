"""The gateway's store side: keys (hashes only, verify, revoke, expiry, model patterns, the rate
limit), routes (validated targets) and usage (written in batches off the event loop, summed up).
Each store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from drupe.errors import DrupeError
from drupe.gateway.keys import GatewayKey, GatewayKeys, RateLimiter, hash_key, utcnow
from drupe.gateway.routes import Routes
from drupe.gateway.tables import gateway_keys, gateway_usage
from drupe.gateway.usage import UsageLog, UsageRecord, parse_since
from drupe.registry import Registry
from drupe.store import open_store
from drupe.store.db import Store


@pytest.fixture
def store(database_url):
    """Each test that uses the store runs on SQLite and on PostgreSQL."""
    store = open_store()
    yield store
    store.engine.dispose()


def refused(call, *args) -> DrupeError:
    with pytest.raises(DrupeError) as caught:
        call(*args)
    return caught.value


# -- keys ------------------------------------------------------------------


def test_a_new_key_is_shown_once_and_verifies_as_itself(store):
    keys = GatewayKeys(store)
    key, secret = keys.create("ci", models=["work/*"], expires_days=30, rpm=60)
    assert re.fullmatch(r"drp-[A-Za-z0-9_-]{43}", secret)
    assert key.prefix == secret[:12] and key.prefix.startswith("drp-")
    assert (key.models, key.rpm, key.requests, key.revoked_at) == (("work/*",), 60, 0, None)
    assert key.expires_at is not None and abs(key.expires_at - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    assert keys.verify(secret) == key
    assert keys.verify(f"  {secret}\n") == key  # pasted with spaces around
    other, other_secret = keys.create("laptop")
    assert other_secret != secret and keys.verify(other_secret).id == other.id
    assert [k.name for k in keys.list_keys()] == ["ci", "laptop"]


def test_unknown_and_missing_keys_are_refused_saying_which(store):
    keys = GatewayKeys(store)
    _, secret = keys.create("ci")
    for sent, reason in [("", "missing"), (None, "missing"), ("drp-" + "A" * 43, "unknown"),
                         (secret[:-1], "unknown"), (secret + "x", "unknown"), ("sk-not-ours", "unknown")]:  # fmt: skip
        error = refused(keys.verify, sent)
        assert (error.code, error.data["reason"]) == ("unauthorized", reason), sent
        assert secret not in str(error)


def test_only_a_hash_of_the_key_is_stored(store, database_url):
    keys = GatewayKeys(store)
    key, secret = keys.create("ci")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(gateway_keys).where(gateway_keys.c.id == key.id)).one()
    assert row.hash == hash_key(secret) and len(row.hash) == 64
    assert not any(secret in str(value) for value in row)
    assert not any(secret[12:20] in str(value) for value in row)  # nor any part past the prefix
    if database_url.startswith("sqlite"):
        store.engine.dispose()
        files = list(store.home.glob("drupe.db*"))
        assert files
        stored = b"".join(path.read_bytes() for path in files)
        assert hash_key(secret).encode() in stored  # the probe can see the row
        assert secret.encode() not in stored and secret[12:].encode() not in stored


def test_a_revoked_key_is_refused_for_good(store):
    keys = GatewayKeys(store)
    _, secret = keys.create("ci")
    revoked = keys.revoke("CI")  # names ignore case
    assert revoked.revoked_at is not None and revoked.state() == "revoked"
    error = refused(keys.verify, secret)
    assert (error.code, error.data["reason"], error.data["name"]) == ("unauthorized", "revoked", "ci")
    assert keys.revoke("ci").revoked_at == revoked.revoked_at  # again: nothing changes
    assert [k.state() for k in keys.list_keys()] == ["revoked"]  # kept, for its usage
    assert refused(keys.create, "Ci").code == "conflict"
    assert refused(keys.revoke, "nope").data == {"what": "gateway_key", "name": "nope"}


def test_an_expired_key_is_refused(store):
    keys = GatewayKeys(store)
    _, secret = keys.create("short", expires_days=1)
    assert keys.verify(secret).state() == "active"
    with store.engine.begin() as conn:
        conn.execute(gateway_keys.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    error = refused(keys.verify, secret)
    assert (error.code, error.data["reason"]) == ("unauthorized", "expired")
    assert "expired on" in str(error)
    _, brief = keys.create("brief", expires_days=0.5 / 86400)  # half a second
    assert keys.verify(brief)
    time.sleep(0.6)
    assert refused(keys.verify, brief).data["reason"] == "expired"


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"name": "has space"}, "name"), ({"name": ""}, "name"), ({"name": "x" * 33}, "name"),
     ({"models": ["a b"]}, "models"), ({"models": [""]}, "models"), ({"expires_days": 0}, "expires"),
     ({"expires_days": float("nan")}, "expires"), ({"expires_days": 1e9}, "expires"),
     ({"rpm": 0}, "rpm"), ({"rpm": True}, "rpm")],
)  # fmt: skip
def test_what_cannot_work_is_refused_naming_the_field(store, fields, field):
    fields = {"name": "ok", **fields}
    error = refused(lambda: GatewayKeys(store).create(fields.pop("name"), **fields))
    assert (error.code, error.data["field"]) == ("invalid", field)
    assert GatewayKeys(store).list_keys() == []


def _key(*models: str) -> GatewayKey:
    now = utcnow()
    return GatewayKey("id", "k", "drp-12345678", models, None, None, None, now, None, 0)


def test_model_patterns_match_providers_and_routes_ignoring_case_and_model_ids_exactly():
    assert _key().allows("anything/at-all") and _key().allows("a-route")
    key = _key("Work/gpt-4o*", "fast", "*/claude-*")
    allowed = ["work/gpt-4o", "WORK/gpt-4o-mini", "fast", "Fast", "home/claude-3-5", "x/claude-y"]
    refused_ = ["work/GPT-4O", "work/o1", "home/gpt-4o", "faster", "fast/x", "claude-3"]
    assert [m for m in allowed if not key.allows(m)] == []
    assert [m for m in refused_ if key.allows(m)] == []
    assert _key("*").allows("prov/org/model") and _key("prov/*").allows("Prov/org/model")


def test_uses_are_counted_off_the_event_loop_and_in_batches(store):
    keys = GatewayKeys(store)
    key, _ = keys.create("ci")
    on_loop = []

    def watch(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("UPDATE GATEWAY_KEYS"):
            on_loop.append(threading.get_ident() == loop_thread)

    async def serve() -> None:
        for i in range(50):
            keys.touch(key.id, datetime(2030, 1, 1, 12, 0, i, tzinfo=UTC))
        await keys.aclose()

    loop_thread = threading.get_ident()
    sa.event.listen(store.engine, "before_cursor_execute", watch)
    try:
        asyncio.run(serve())
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", watch)
    assert on_loop and not any(on_loop) and len(on_loop) < 50
    [counted] = keys.list_keys()
    assert (counted.requests, counted.last_used_at) == (50, datetime(2030, 1, 1, 12, 0, 49))
    keys.touch(key.id, datetime(2030, 1, 2))  # no event loop: written at once
    assert GatewayKeys(store).get("ci").requests == 51


def test_the_rate_limit_is_a_sliding_minute_per_key():
    limiter = RateLimiter()
    three = GatewayKey("a", "a", "drp-aaaaaaaa", (), 3, None, None, utcnow(), None, 0)
    other = GatewayKey("b", "b", "drp-bbbbbbbb", (), 1, None, None, utcnow(), None, 0)
    free = _key()
    assert [limiter.check(three, t) for t in (0.0, 1.0, 2.0)] == [None, None, None]
    assert limiter.check(three, 3.0) == pytest.approx(57.0)  # the one at 0 leaves at 60
    assert limiter.check(three, 30.0) == pytest.approx(30.0)  # refused ones are not counted
    assert limiter.check(other, 30.0) is None  # each key its own window
    assert limiter.check(three, 60.0) is None  # the one at 0 left
    assert limiter.check(three, 60.5) == pytest.approx(0.5)  # then 1.0 leaves at 61
    assert limiter.check(three, 61.0) is None
    assert all(limiter.check(free, 100.0) is None for _ in range(1000))


# -- routes ----------------------------------------------------------------


@pytest.fixture
def registry(store) -> Registry:
    registry = Registry(store)
    registry.add_provider("Work", "openai", api_keys=["sk-work"])
    registry.add_provider("Home", "anthropic", api_keys=["sk-home"])
    return registry


def test_a_route_keeps_its_targets_in_order(store, registry):
    routes = Routes(store)
    route = routes.add("fast", ["work/gpt-4o-mini", "Home/claude-3-5-haiku", "Work/meta-llama/Llama-3.1-8B"])
    assert route.targets == ("Work/gpt-4o-mini", "Home/claude-3-5-haiku", "Work/meta-llama/Llama-3.1-8B")
    assert routes.get("FAST") == route and routes.find("slow") is None
    routes.add("backup", ["Home/claude"])
    assert [r.name for r in routes.list_routes()] == ["backup", "fast"]
    registry.edit_provider("Work", name="Office")  # a renamed provider stays in its routes
    assert routes.get("fast").targets[0] == "Office/gpt-4o-mini"
    assert routes.remove("Fast").name == "fast"
    assert [r.name for r in routes.list_routes()] == ["backup"]
    assert refused(routes.get, "fast").data == {"what": "route", "name": "fast"}


@pytest.mark.parametrize(
    ("name", "targets", "code", "field_or_what"),
    [("a/b", ["Work/m"], "invalid", "name"), ("", ["Work/m"], "invalid", "name"),
     ("r", [], "invalid", "targets"), ("r", ["Work"], "invalid", "targets"), ("r", ["Work/"], "invalid", "targets"),
     ("r", ["/m"], "invalid", "targets"), ("r", ["Work/a b"], "invalid", "targets"),
     ("r", ["Work/m", "work/m"], "invalid", "targets"), ("r", ["Nope/m"], "not_found", "route_target"),
     ("r", ["Work/m", "Nope/m"], "not_found", "route_target")],
)  # fmt: skip
def test_a_route_that_cannot_work_is_refused(store, registry, name, targets, code, field_or_what):
    error = refused(Routes(store).add, name, targets)
    assert error.code == code
    assert field_or_what in (error.data.get("field"), error.data.get("what"))
    assert Routes(store).list_routes() == []


def test_route_names_are_unique_and_targets_unambiguous(store, registry):
    routes = Routes(store)
    routes.add("fast", ["Work/m"])
    assert refused(routes.add, "FAST", ["Home/m"]).code == "conflict"
    registry.add_provider("a", "openai", api_keys=["k"])
    registry.add_provider("a/b", "openai", api_keys=["k"])
    error = refused(routes.add, "r", ["a/b/c"])
    assert (error.code, sorted(error.data["matches"])) == ("ambiguous", ["a", "a/b"])
    assert routes.add("r", ["a/b"]).targets == ("a/b",)  # provider a, model b: only one way to read it


# -- usage -----------------------------------------------------------------

T0 = datetime(2030, 5, 1, 12, 0, 0)


def usage(at: datetime = T0, **fields) -> UsageRecord:
    base = dict(
        at=at, key_id="k1", key_name="ci", api="openai", model="Work/gpt", provider="Work", provider_model="gpt",
        route=None, input_tokens=10, output_tokens=20, cost=None, ttft_ms=50.0, duration_ms=200.0, status=200,
        error=None,
    )  # fmt: skip
    return UsageRecord(**{**base, **fields})


def count_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(gateway_usage)).scalar_one()


def test_usage_is_written_in_batches_never_on_the_event_loop(store):
    log = UsageLog(store)
    inserts = []

    def watch(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO GATEWAY_USAGE"):
            inserts.append(threading.get_ident() == loop_thread)

    async def serve() -> None:
        for i in range(200):
            log.record(usage(T0 + timedelta(seconds=i)))
        await log.aclose()

    loop_thread = threading.get_ident()
    sa.event.listen(store.engine, "before_cursor_execute", watch)
    try:
        asyncio.run(serve())
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", watch)
    assert count_rows(store) == 200
    assert inserts and not any(inserts) and len(inserts) < 20


def test_recording_does_not_wait_for_a_locked_database(store, database_url):
    """Another connection holds the write lock: `record` still returns at once; the rows follow."""
    log = UsageLog(store)
    holder = store.engine.connect()
    if database_url.startswith("sqlite"):
        holder.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        holder.begin()
        holder.exec_driver_sql("LOCK TABLE gateway_usage IN SHARE MODE")
    released = threading.Lock()

    def release() -> None:
        with released:
            if not holder.closed:
                holder.rollback() if holder.in_transaction() else holder.exec_driver_sql("ROLLBACK")
                holder.close()

    fallback = threading.Timer(2.0, release)  # so that a `record` that waits fails the test, not hangs it
    fallback.start()

    async def serve() -> float:
        started = time.perf_counter()
        for _ in range(20):
            log.record(usage())
            await asyncio.sleep(0)
        took = time.perf_counter() - started
        await asyncio.sleep(0.2)
        assert count_rows(store) == 0  # still waiting for the lock
        release()
        await log.aclose()
        return took

    try:
        took = asyncio.run(serve())
    finally:
        fallback.cancel()
        release()
    assert took < 0.1
    assert count_rows(store) == 20


def test_usage_is_summed_up_per_key_model_and_provider(store, registry):
    registry.add_model("Work", "gpt", price_in=2.0, price_out=10.0)
    log = UsageLog(store)
    records = [
        usage(ttft_ms=40.0, duration_ms=100.0),
        usage(ttft_ms=60.0, duration_ms=300.0, input_tokens=1000, output_tokens=500),
        usage(key_name="ops", key_id="k2", status=502, error="upstream down", ttft_ms=None, duration_ms=20.0,
              input_tokens=None, output_tokens=None),
        usage(key_name="ops", key_id="k2", model="fast", route="fast", provider="Home", provider_model="claude",
              cost=0.5, ttft_ms=70.0, duration_ms=400.0),
        usage(key_name="ops", model="Home/unpriced", provider="Home", provider_model="unpriced"),
        usage(at=T0 - timedelta(days=2), key_name="old"),  # before `since`
    ]  # fmt: skip
    for record in records:
        log.record(record)
    since = T0 - timedelta(days=1)
    by_key = {row["key"]: row for row in log.summary(since, "key")}
    assert set(by_key) == {"ci", "ops"}
    ci = by_key["ci"]
    assert (ci["requests"], ci["errors"], ci["input_tokens"], ci["output_tokens"]) == (2, 0, 1010, 520)
    assert ci["cost"] == pytest.approx((10 * 2 + 20 * 10 + 1000 * 2 + 500 * 10) / 1e6)
    assert (ci["p50_ttft_ms"], ci["p50_duration_ms"]) == (50.0, 200.0)
    ops = by_key["ops"]
    assert (ops["requests"], ops["errors"], ops["cost"]) == (3, 1, pytest.approx(0.5))
    assert (ops["p50_ttft_ms"], ops["p50_duration_ms"]) == (60.0, 200.0)
    assert [row["key"] for row in log.summary(since, "key")] == ["ops", "ci"]  # busiest first
    by_model = {row["model"]: row["requests"] for row in log.summary(since, "model")}
    assert by_model == {"Work/gpt": 3, "fast": 1, "Home/unpriced": 1}
    by_provider = {row["provider"]: row for row in log.summary(since, "provider")}
    assert {name: row["requests"] for name, row in by_provider.items()} == {"Work": 3, "Home": 2}
    assert by_provider["Home"]["cost"] == pytest.approx(0.5)  # the unpriced one adds nothing
    assert log.summary(T0 + timedelta(hours=1), "key") == []
    assert log.summary(datetime(2030, 4, 1, tzinfo=UTC), "key")[0]["requests"] == 3  # aware times are UTC
    assert refused(log.summary, since, "colour").data["field"] == "by"


def test_content_is_kept_only_when_given(store):
    log = UsageLog(store)
    log.record(usage())
    log.record(usage(content={"request": {"messages": [{"role": "user", "content": "hi"}]}}))
    with store.engine.connect() as conn:
        contents = [row.content for row in conn.execute(sa.select(gateway_usage).order_by(gateway_usage.c.id))]
    assert contents == [None, {"request": {"messages": [{"role": "user", "content": "hi"}]}}]


@pytest.mark.parametrize(
    ("text", "length"),
    [("7d", timedelta(days=7)), ("24h", timedelta(hours=24)), ("30m", timedelta(minutes=30)),
     ("2w", timedelta(weeks=2)), ("90s", timedelta(seconds=90)), (" 1.5H ", timedelta(hours=1.5))],
)  # fmt: skip
def test_since_is_a_number_and_a_unit(text, length):
    assert parse_since(text) == length


@pytest.mark.parametrize("text", ["", "7", "d", "7 days", "-1d", "1y", "99999999999w"])
def test_since_without_a_unit_is_refused(text):
    assert refused(parse_since, text).data["field"] == "since"
