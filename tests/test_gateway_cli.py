"""`drupe gateway key …`, `drupe gateway usage` and `drupe route …` through a real `drupe`
subprocess, checked against what the store then holds."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from drupe.errors import DrupeError
from drupe.gateway.keys import GatewayKeys, utcnow
from drupe.gateway.routes import Routes
from drupe.gateway.usage import UsageLog, UsageRecord
from drupe.registry import Registry
from drupe.store import open_store
from tests.cli_helpers import run_drupe

KEY = re.compile(r"drp-[A-Za-z0-9_-]{43}")


def ok(*args: str) -> str:
    result = run_drupe(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def failed(*args: str) -> str:
    """A failure the user can read: exit 1, one `error:` line, no traceback."""
    result = run_drupe(*args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: ")
    return result.stderr


def test_a_key_is_printed_once_alone_on_stdout_and_works(database_url):
    result = run_drupe("gateway", "key", "create", "ci", "--models", "work/*", "--models", "fast",
                       "--expires", "30", "--rpm", "60")  # fmt: skip
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert KEY.fullmatch(secret)  # the key alone: `KEY=$(drupe gateway key create ci)` works
    assert "will not be shown again" in result.stderr and secret not in result.stderr
    assert "models work/*, fast" in result.stderr and "60 requests a minute" in result.stderr
    key = GatewayKeys(open_store()).verify(secret)
    assert (key.name, key.models, key.rpm) == ("ci", ("work/*", "fast"), 60)
    assert key.expires_at is not None and key.expires_at - utcnow() > timedelta(days=29)

    listed = ok("gateway", "key", "list")
    assert secret not in listed and secret[:12] in listed
    assert re.search(r"ci\s+drp-\S{8}\s+active\s+work/\*, fast\s+\d{4}-\d\d-\d\d\s+60\s+never\s+0", listed), listed
    [shown] = json.loads(ok("gateway", "key", "list", "--json"))
    assert secret not in json.dumps(shown)
    assert {k: shown[k] for k in ("name", "prefix", "models", "rpm", "requests", "revoked_at", "state")} == {
        "name": "ci", "prefix": secret[:12], "models": ["work/*", "fast"], "rpm": 60, "requests": 0,
        "revoked_at": None, "state": "active",
    }  # fmt: skip

    assert "Revoked gateway key ci" in ok("gateway", "key", "revoke", "CI")
    with pytest.raises(DrupeError) as caught:
        GatewayKeys(open_store()).verify(secret)
    assert caught.value.data["reason"] == "revoked"
    assert "already revoked" in ok("gateway", "key", "revoke", "ci")
    assert re.search(r"ci\s+drp-\S{8}\s+revoked", ok("gateway", "key", "list"))


def test_the_list_shows_each_keys_use():
    keys = GatewayKeys(open_store())
    key, _ = keys.create("laptop")
    for _ in range(3):
        keys.touch(key.id, utcnow())
    listed = ok("gateway", "key", "list")
    assert re.search(r"laptop\s+drp-\S{8}\s+active\s+all\s+never\s+-\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+3\b", listed), listed


def test_an_empty_list_says_how_to_create_one():
    assert "drupe gateway key create NAME" in ok("gateway", "key", "list")
    assert json.loads(ok("gateway", "key", "list", "--json")) == []


@pytest.mark.parametrize(
    ("args", "words"),
    [(["create", "has space"], "name"), (["create", "ok", "--rpm", "0"], "requests per minute"),
     (["create", "ok", "--expires", "0"], "days"), (["create", "ok", "--models", "a b"], "model pattern"),
     (["revoke", "nope"], "drupe gateway key list")],
)  # fmt: skip
def test_a_key_that_cannot_work_is_refused(args, words):
    assert words in failed("gateway", "key", *args)
    assert GatewayKeys(open_store()).list_keys() == []


def test_a_name_is_taken_ignoring_case():
    ok("gateway", "key", "create", "ci")
    error = failed("gateway", "key", "create", "CI")
    assert "already exists" in error and "drupe gateway key list" in error


def _record(log: UsageLog, ago: timedelta, **fields) -> None:
    base = dict(
        at=utcnow() - ago, key_id="k", key_name="ci", api="openai", model="Work/gpt", provider="Work",
        provider_model="gpt", route=None, input_tokens=1000, output_tokens=2000, cost=None, ttft_ms=40.0,
        duration_ms=900.0, status=200, error=None,
    )  # fmt: skip
    log.record(UsageRecord(**{**base, **fields}))


def test_usage_is_summed_up_per_key_model_or_provider(database_url):
    registry = Registry(open_store())
    registry.add_provider("Work", "openai", api_keys=["sk-work"])
    registry.add_model("Work", "gpt", price_in=1.0, price_out=2.0)
    assert "No gateway requests in the last 7d." in ok("gateway", "usage")
    log = UsageLog(open_store())
    _record(log, timedelta(minutes=5))
    _record(log, timedelta(hours=2), key_name="ops", model="fast", route="fast", status=502, error="down",
            input_tokens=None, output_tokens=None, ttft_ms=None, duration_ms=30.0)  # fmt: skip
    _record(log, timedelta(days=3), key_name="ops")

    by_key = {row["key"]: row for row in json.loads(ok("gateway", "usage", "--json"))}
    assert by_key["ci"] == {
        "key": "ci", "requests": 1, "errors": 0, "input_tokens": 1000, "output_tokens": 2000,
        "cost": pytest.approx(0.005), "p50_ttft_ms": 40.0, "p50_duration_ms": 900.0,
    }  # fmt: skip
    assert (by_key["ops"]["requests"], by_key["ops"]["errors"]) == (2, 1)
    assert [row["key"] for row in json.loads(ok("gateway", "usage", "--since", "24h", "--json"))] == ["ci", "ops"]
    assert [row["key"] for row in json.loads(ok("gateway", "usage", "--since", "30m", "--json"))] == ["ci"]
    table = ok("gateway", "usage", "--by", "model", "--since", "24h")
    assert re.search(r"Model\s+Requests\s+Errors\s+Input\s+Output\s+Cost\s+TTFT p50\s+Duration p50", table), table
    assert re.search(r"Work/gpt\s+1\s+0\s+1,000\s+2,000\s+\$0\.0050\s+40 ms\s+900 ms", table), table
    assert re.search(r"fast\s+1\s+1\s+0\s+0\s+-\s+-\s+30 ms", table), table
    by_provider = json.loads(ok("gateway", "usage", "--by", "provider", "--json"))
    assert [(row["provider"], row["requests"]) for row in by_provider] == [("Work", 3)]


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--since", "7"], "not a length of time"), (["--since", "yesterday"], "30m, 24h, 7d"),
     (["--by", "colour"], "Valid: key, model, provider")],
)  # fmt: skip
def test_usage_options_that_cannot_work_are_refused(args, words):
    assert words in failed("gateway", "usage", *args)


def test_routes_are_added_listed_shown_and_removed(database_url):
    registry = Registry(open_store())
    registry.add_provider("Work", "openai", api_keys=["sk-work"])
    registry.add_provider("Home", "anthropic", api_keys=["sk-home"])
    assert "No routes yet" in ok("route", "list")
    added = ok("route", "add", "fast", "--to", "work/gpt-4o-mini", "--to", "Home/claude-3-5-haiku")
    assert "Added route fast: Work/gpt-4o-mini → Home/claude-3-5-haiku" in added
    assert Routes(open_store()).get("fast").targets == ("Work/gpt-4o-mini", "Home/claude-3-5-haiku")
    ok("route", "add", "local", "--to", "Home/org/model")
    assert re.search(r"fast\s+Work/gpt-4o-mini → Home/claude-3-5-haiku", ok("route", "list"))
    assert [r["name"] for r in json.loads(ok("route", "list", "--json"))] == ["fast", "local"]
    assert ok("route", "show", "FAST").splitlines()[1:] == [
        "Targets:", "  1. Work/gpt-4o-mini", "  2. Home/claude-3-5-haiku"
    ]  # fmt: skip
    shown = json.loads(ok("route", "show", "local", "--json"))
    assert (shown["name"], shown["targets"]) == ("local", ["Home/org/model"])
    assert "Removed route fast." in ok("route", "remove", "fast")
    assert "drupe route list" in failed("route", "show", "fast")
    assert [r.name for r in Routes(open_store()).list_routes()] == ["local"]


@pytest.mark.parametrize(
    ("args", "words"),
    [(["add", "r"], "--to PROVIDER/MODEL"), (["add", "r", "--to", "Nope/m"], "drupe provider add"),
     (["add", "a/b", "--to", "Work/m"], "without '/'"), (["add", "r", "--to", "Work"], "not PROVIDER/MODEL"),
     (["remove", "nope"], "drupe route list")],
)  # fmt: skip
def test_a_route_that_cannot_work_is_refused(args, words):
    Registry(open_store()).add_provider("Work", "openai", api_keys=["sk-work"])
    assert words in failed("route", *args)
    assert Routes(open_store()).list_routes() == []


def test_a_taken_route_name_says_how_to_see_it():
    Registry(open_store()).add_provider("Work", "openai", api_keys=["sk-work"])
    ok("route", "add", "fast", "--to", "Work/a")
    assert "drupe route show fast" in failed("route", "add", "Fast", "--to", "Work/b")
